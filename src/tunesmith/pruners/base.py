"""The pruner contract: ``prune(trial, history, directions) -> bool``, plus shared helpers.

A pruner is asked from ``trial.should_prune()`` in the objective, with a snapshot of the trial
(its ``intermediate`` dict, step -> value, holds its reports so far) and the study's trials,
whose finished ones carry their own intermediate values. It keeps no state between calls: the
answer is a function of what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.trial import FrozenTrial

__all__ = ["Pruner", "check_int", "loss", "single_direction"]


class Pruner:
    """Base class: ``prune(trial, history, directions)`` says whether to stop ``trial`` now."""

    def prune(
        self, trial: FrozenTrial, history: Sequence[FrozenTrial], directions: Sequence[str]
    ) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({args})"


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int, or a ValueError in the library's one message shape."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def single_direction(owner: str, directions: Sequence[str]) -> str:
    """The study's one direction; pruning several objectives at once has no single order."""
    if len(directions) != 1:
        raise ValueError(
            f"{owner} pruning needs a single-objective study; this one has "
            f"{len(directions)} directions."
        )
    return directions[0]


def loss(value: float, direction: str) -> float:
    """A value as a loss (lower is better); NaN becomes +inf, worse than anything."""
    v = float(value)
    if math.isnan(v):
        return math.inf
    return -v if direction == "maximize" else v
