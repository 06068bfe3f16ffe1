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
    is ``pruned`` after ``epochs`` epochs, its metric measured then. ``val_loss`` is the mean
    loss (cross-entropy, logistic loss or squared error, unweighted, no dropout) on the same
    validation data. With ``early_stopping="patience"``, ``best_epoch`` is the number of epochs
    after which the monitored metric was best (the weights are that epoch's with
    ``restore_best``), and ``stopped_epoch`` the number trained when the member stopped (None
    when it trained to the end); the loss curve ends there.

    Attributes:
        params: The member's config (its hyperparameters).
        loss_curve: The mean training loss of each epoch, penalties aside.
        accuracy: Validation accuracy (classification), else None.
        mse: Validation mean squared error (regression), else None.
        failed: Whether its loss or weights stopped being finite.
        error: Why it failed.
        pruned: Whether successive halving stopped it.
        epochs: Epochs trained.
        weights: Its trained weights by population name.
        chunk: Which sub-population (shape group and memory chunk) trained it.
        intermediate: The metric at each halving rung, by epoch.
        architecture: The resolved model that rebuilds the member.
        input_shape: The shape of one sample as the model takes it.
        n_outputs: Outputs per sample.
        classes: The class labels (classification), else None.
        target_ndim: The regression target's number of dimensions.
        val_loss: The mean loss on the validation data.
        best_epoch: With "patience": the epochs after which the monitored metric was best.
        stopped_epoch: With "patience": the epochs trained when it stopped (None: to the end).
        cv_scores: The metric on each held-out fold (``cv=k``), else None.
        folds: The result of each fold's member (``cv=k``).
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
    val_loss: float | None = None
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    cv_scores: list[float | None] | None = None  # the metric on each held-out fold (cv=k)
    folds: list[MemberResult] = field(default_factory=list, repr=False)

    def to_module(self) -> MemberModule:
        """The trained member as a ``torch.nn.Module`` (``MemberModule``: ``predict``,
        ``predict_proba``); its outputs are the population's outputs for this member.

        Returns:
            The module.

        Raises:
            ValueError: The result holds no trained weights.
        """
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
        """``accuracy``, ``mse``, ``loss`` (training) or ``val_loss`` by name.

        Args:
            name: ``"accuracy"``, ``"mse"``, ``"loss"`` or ``"val_loss"``.

        Returns:
            The value; None for a failed member or a value that is missing or not finite.
        """
        if self.failed:
            return None
        values = {"accuracy": self.accuracy, "mse": self.mse, "loss": self.loss}
        value = self.val_loss if name == "val_loss" else values[name]
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
    val_loss: float = math.nan,
    best_epoch: int | None = None,
    stopped_epoch: int | None = None,
) -> MemberResult:
    """One member's result from its run's records: a diverged member or a non-finite metric
    fails it (its curve cut at the failed epoch), else its metric is kept by task; a member
    stopped early has its curve cut where it stopped."""
    loss_curve = [float(v) for v in curve]
    if stopped_epoch is not None and active:
        loss_curve, epochs = loss_curve[:stopped_epoch], stopped_epoch
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
        val_loss=None if failed or not math.isfinite(val_loss) else float(val_loss),
        best_epoch=None if failed else best_epoch,
        stopped_epoch=None if failed else stopped_epoch,
    )
