"""Learning-rate schedules: the factor every member's learning rate is multiplied by in an epoch.

A schedule maps the epoch t (0-based) of a run of ``epochs`` epochs to a factor; one factor
per epoch, shared by every member of the population.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

__all__ = ["SCHEDULES", "check_schedule", "lr_schedule"]

_ONECYCLE_START = 1 / 25  # one-cycle starts at lr / 25
_ONECYCLE_WARM = 0.3  # share of the epochs spent warming up, one-cycle
_WARMUP = 0.1  # share of the epochs spent warming up, warm-up then cosine


def cosine(epoch: int, epochs: int) -> float:
    """½ (1 + cos(π t / epochs)): cosine annealing to 0 (Loshchilov & Hutter 2017, SGDR,
    without restarts)."""
    return 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def step(epoch: int, epochs: int) -> float:
    """×0.1 from 50% of the epochs and ×0.01 from 75%: the step decay of image classifiers."""
    return 0.1 ** ((epoch >= 0.5 * epochs) + (epoch >= 0.75 * epochs))


def exponential(epoch: int, epochs: int) -> float:
    """0.01^(t / epochs): exponential decay to 1% of the rate at the end."""
    return 0.01 ** (epoch / epochs)


def _after_warmup(epoch: int, epochs: int, warm: float) -> float:
    """Cosine from 1 at the end of the warm-up to 0 at ``epochs``."""
    return 0.5 * (1.0 + math.cos(math.pi * (epoch - warm) / max(epochs - warm, 1e-12)))


def onecycle(epoch: int, epochs: int) -> float:
    """One cycle (Smith & Topin 2019): linear warm-up from 1/25 of the rate to the rate over
    the first 30% of the epochs, then cosine annealing to 0."""
    warm = _ONECYCLE_WARM * epochs
    if epoch < warm:
        return _ONECYCLE_START + (1.0 - _ONECYCLE_START) * epoch / warm
    return _after_warmup(epoch, epochs, warm)


def warmup_cosine(epoch: int, epochs: int) -> float:
    """Gradual linear warm-up (Goyal et al. 2017) over the first 10% of the epochs, factor
    (t + 1) / (w + 1) in epoch t < w, then cosine annealing to 0 (Loshchilov & Hutter 2017)."""
    warm = _WARMUP * epochs
    if epoch < warm:
        return (epoch + 1) / (warm + 1)
    return _after_warmup(epoch, epochs, warm)


SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "cosine": cosine,
    "step": step,
    "exponential": exponential,
    "onecycle": onecycle,
    "warmup_cosine": warmup_cosine,
}
SCHEDULE_RULE = (
    f"one of {', '.join(repr(n) for n in (None, *SCHEDULES))} or a callable epoch -> factor"
)


def is_schedule(value: Any) -> bool:
    """The rule of the 'schedule' option: a schedule's name, None, or a callable."""
    return value is None or (isinstance(value, str) and value in SCHEDULES) or callable(value)


def check_schedule(schedule: Any, owner: str) -> None:
    """A callable schedule is called once, for epoch 0: it must give a finite float >= 0."""
    if not callable(schedule):
        return
    try:
        factor = schedule(0)
    except Exception as exc:  # noqa: BLE001 - reported as the argument's error
        raise ValueError(
            f"The 'schedule' parameter of {owner} must be a callable epoch -> factor; calling "
            f"it with epoch 0 raised {exc!r}."
        ) from exc
    good = isinstance(factor, numbers.Real) and not isinstance(factor, bool)
    if not (good and math.isfinite(float(factor)) and float(factor) >= 0):
        raise ValueError(
            f"The 'schedule' parameter of {owner} must return a finite float >= 0 for epoch 0. "
            f"Got {factor!r} instead."
        )


def lr_schedule(name: Any, epochs: int) -> Callable[[int], float] | None:
    """The learning-rate factor of each epoch: None (constant), a schedule's name (cosine,
    step, exponential, onecycle, warmup_cosine) or a callable epoch -> factor, used as is."""
    if name is None:
        return None
    if callable(name):
        return lambda epoch: float(name(epoch))
    rule = SCHEDULES[name]
    return lambda epoch: rule(epoch, epochs)
