"""Many models, each with its own hyperparameters, trained as one batched computation.

Every weight carries a leading population axis P; forward and backward passes are batched
matrix products, autograd gives every member its gradient from one backward pass of the summed
member losses, and members are updated by ``tunesmith.optim.functional`` rules with per-member
hyperparameters. ``train`` runs a population; ``objective`` turns it into a batched study
objective; both take their training options as keyword arguments or one ``TrainingOptions``.
``MemberResult.to_module()`` gives a trained member back as a ``torch.nn.Module``
(``MemberModule``, with ``predict`` / ``predict_proba``); ``objective(..., store=FOLDER)`` keeps
the best members' weights on disk and ``load_best(study)`` loads the best one. A new model
family subclasses ``Model`` and lists its weights as ``ParamSpec``s.
Needs PyTorch: ``pip install "tunesmith[torch]"``.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only where torch is absent
    raise ImportError(
        'tunesmith.population needs PyTorch; install it with: pip install "tunesmith[torch]"'
    ) from exc

from tunesmith.population.cnn import CNN
from tunesmith.population.config import HYPERPARAMETERS, OPTIMIZERS
from tunesmith.population.hypergradient import hypergradient_objective
from tunesmith.population.memory import available_memory, estimate_bytes
from tunesmith.population.models import MLP, Linear, Logistic, Model, ParamSpec
from tunesmith.population.module import MemberModule
from tunesmith.population.objective import PopulationObjective, objective
from tunesmith.population.options import TrainingOptions
from tunesmith.population.pbt import PBTResult, pbt
from tunesmith.population.results import MemberResult
from tunesmith.population.store import load_best, load_member
from tunesmith.population.train import train

__all__ = [
    "CNN",
    "HYPERPARAMETERS",
    "Linear",
    "Logistic",
    "MLP",
    "MemberModule",
    "MemberResult",
    "Model",
    "OPTIMIZERS",
    "PBTResult",
    "ParamSpec",
    "PopulationObjective",
    "TrainingOptions",
    "available_memory",
    "estimate_bytes",
    "hypergradient_objective",
    "load_best",
    "load_member",
    "objective",
    "pbt",
    "train",
]
