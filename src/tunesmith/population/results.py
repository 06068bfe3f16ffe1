"""What training reports for each member of a population."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.population.models import Model
from tunesmith.population.module import MemberModule

__all__ = ["MemberResult", "member_result"]


@dataclass
class MemberResult:
    """One member's outcome, in the order of the configs given to ``train``.

    ``accuracy`` (classification) or ``mse`` (regression) is measured on the validation data
    (the training data when none is given); ``loss_curve`` is the mean training loss of each
    epoch, penalties aside. A member whose loss or weights stopped being finite is ``failed``
    (its last finite weights kept, the reason in ``error``); one stopped by successive halving
    is ``pruned`` after ``epochs`` epochs, its metric measured then.
    """

    params: dict[str, Any]
    loss_curve: list[float]
    accuracy: float | None = None
    mse: float | None = None
    failed: bool = False
    error: str | None = None
    pruned: bool = False
    epochs: int = 0
    weights: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    chunk: int = 0  # which sub-population (shape group and memory chunk) trained it
    intermediate: dict[int, float] = field(default_factory=dict)  # metric at halving rungs
    # what rebuilds the trained member: its resolved model and the data's shapes and classes
    architecture: Model | None = field(default=None, repr=False)
    input_shape: tuple[int, ...] = ()
    n_outputs: int = 0
    classes: np.ndarray | None = field(default=None, repr=False)
    target_ndim: int = 1

    def to_module(self) -> MemberModule:
        """The trained member as a ``torch.nn.Module`` (``MemberModule``: ``predict``,
        ``predict_proba``); its outputs are the population's outputs for this member."""
        if self.architecture is None or not self.weights:
            raise ValueError("This MemberResult holds no trained weights to build a module from.")
        return MemberModule(
            self.architecture,
            self.weights,
            self.input_shape,
            self.n_outputs,
            self.classes,
            self.target_ndim,
        )

    @property
    def loss(self) -> float | None:
        """The last epoch's mean training loss."""
        return self.loss_curve[-1] if self.loss_curve else None

    def metric(self, name: str) -> float | None:
        """``accuracy``, ``mse`` or ``loss`` by name; None for a failed member."""
        if self.failed:
            return None
        value = {"accuracy": self.accuracy, "mse": self.mse, "loss": self.loss}[name]
        return None if value is None or not math.isfinite(value) else float(value)


def member_result(
    config: Mapping[str, Any],
    task: str,
    curve: np.ndarray,
    active: bool,
    failed_epoch: int,
    metric: float,
    epochs: int,
    weights: dict[str, np.ndarray],
    chunk: int,
    pruned: bool = False,
    intermediate: dict[int, float] | None = None,
) -> MemberResult:
    """One member's result from its run's records: a diverged member or a non-finite metric
    fails it (its curve cut at the failed epoch), else its metric is kept by task."""
    loss_curve = [float(v) for v in curve]
    error = None
    if not active:
        loss_curve = loss_curve[: failed_epoch + 1]
        last = loss_curve[-1] if loss_curve else float("nan")
        reason = f"the training loss became {last}" if not math.isfinite(last) else "an update"
        reason += " was not finite" if reason == "an update" else ""
        error = f"Diverged in epoch {failed_epoch + 1}: {reason}; its weights were frozen."
    elif not math.isfinite(metric):
        error = f"The validation {'accuracy' if task == 'classification' else 'mse'} is {metric}."
    failed = error is not None
    value = None if failed else float(metric)
    return MemberResult(
        params=dict(config),
        loss_curve=loss_curve,
        accuracy=value if task == "classification" else None,
        mse=value if task == "regression" else None,
        failed=failed,
        error=error,
        pruned=pruned and not failed,
        epochs=len(loss_curve) if failed else epochs,
        weights=weights,
        chunk=chunk,
        intermediate=dict(intermediate or {}),
    )
