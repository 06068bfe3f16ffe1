"""Argument checks at the study boundary, each naming the argument and the rule it breaks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_DIRECTIONS = ("minimize", "maximize")


def is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def positive_or_none(owner: str, name: str, value: Any) -> None:
    """A number > 0, or None."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
    ):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a number > 0 or None. "
            f"Got {value!r} instead."
        )


def check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size) -> None:
    def bad(name: str, rule: str, got: Any) -> ValueError:
        return ValueError(f"The {name!r} parameter of optimize {rule}. Got {got!r} instead.")

    if not callable(objective):
        raise bad("objective", "must be callable", objective)
    if n_trials is not None and (not is_int(n_trials) or n_trials < 1):
        raise bad("n_trials", "must be an int >= 1 or None", n_trials)
    positive_or_none("optimize", "timeout", timeout)
    if not is_int(n_jobs) or (n_jobs < 1 and n_jobs != -1):
        raise bad("n_jobs", "must be an int >= 1, or -1 for all cores", n_jobs)
    if not isinstance(catch, (tuple, list)) or not all(
        isinstance(c, type) and issubclass(c, BaseException) for c in catch
    ):
        raise bad("catch", "must be a tuple of exception classes", catch)
    if not all(callable(c) for c in callbacks):
        raise bad("callbacks", "must hold callables taking (study, trial)", callbacks)
    if batch_size is not None and (not is_int(batch_size) or batch_size < 1):
        raise bad("batch_size", "must be an int >= 1 or None", batch_size)


def check_directions(direction: Any, directions: Any) -> tuple[str, ...]:
    if direction is not None and directions is not None:
        raise ValueError("Give either 'direction' or 'directions' to create_study, not both.")
    dirs = [direction or "minimize"] if directions is None else directions
    if isinstance(dirs, str) or not isinstance(dirs, Sequence) or not dirs:
        raise ValueError(
            f"The 'directions' parameter of create_study must be a non-empty list of "
            f"'minimize'/'maximize'. Got {directions!r} instead."
        )
    for d in dirs:
        if d not in _DIRECTIONS:
            name = "direction" if direction is not None else "directions"
            raise ValueError(
                f"The {name!r} parameter of create_study must be 'minimize' or "
                f"'maximize'. Got {d!r} instead."
            )
    return tuple(dirs)


def check_create_args(
    name: Any, seed: Any, heartbeat: Any, grace_period: Any, retries: Any
) -> None:
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(
            "The 'name' parameter of create_study must be a non-empty string or "
            f"None. Got {name!r} instead."
        )
    if seed is not None and (not is_int(seed) or seed < 0):
        raise ValueError(
            "The 'seed' parameter of create_study must be an int >= 0 or None. "
            f"Got {seed!r} instead."
        )
    positive_or_none("create_study", "heartbeat", heartbeat)
    positive_or_none("create_study", "grace_period", grace_period)
    if grace_period is not None and heartbeat is None:
        raise ValueError(
            "The 'grace_period' parameter of create_study needs 'heartbeat' to be "
            f"set. Got grace_period={grace_period!r} with heartbeat=None instead."
        )
    if heartbeat is not None and grace_period is not None and grace_period <= heartbeat:
        raise ValueError(
            "The 'grace_period' parameter of create_study must be > heartbeat. "
            f"Got {grace_period!r} <= {heartbeat!r} instead."
        )
    if not is_int(retries) or retries < 0:
        raise ValueError(
            f"The 'retries' parameter of create_study must be an int >= 0. Got {retries!r} instead."
        )
