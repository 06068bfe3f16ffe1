"""What training reports for each member of a population."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MemberResult"]


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
