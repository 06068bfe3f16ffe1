"""tunesmith: machine-learning optimization, hyperparameters and parameters, behind one API."""

from __future__ import annotations

from typing import Any

from tunesmith.space import Choice, Float, Int
from tunesmith.storage import StorageError
from tunesmith.study import Study, StudyExhausted, create_study, delete_study, load_study
from tunesmith.trial import FrozenTrial, Trial, TrialPruned, TrialState

__version__ = "0.1.0"

__all__ = [
    "Float",
    "Int",
    "Choice",
    "Study",
    "create_study",
    "load_study",
    "delete_study",
    "Trial",
    "FrozenTrial",
    "TrialState",
    "TrialPruned",
    "StudyExhausted",
    "StorageError",
    "RayExecutor",
    "PBT",
    "PBTRunResult",
    "strategies",
    "optim",
    "population",
    "pruners",
]

_SUBMODULES = {
    "strategies",
    "optim",
    "population",
    "pruners",
    "viz",
    "compare",
    "sklearn",
    "importance",
    "dashboard",
}


def __getattr__(name: str) -> Any:
    if name == "RayExecutor":
        from tunesmith.execution.ray import RayExecutor

        return RayExecutor
    if name in ("PBT", "PBTRunResult"):
        from tunesmith import pbt

        return getattr(pbt, name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"tunesmith.{name}")
    raise AttributeError(f"module 'tunesmith' has no attribute {name!r}")
