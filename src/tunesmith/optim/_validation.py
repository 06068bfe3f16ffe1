"""Hyperparameter checks from declared tables, with one message shape for every optimizer."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._array import is_scalar, is_torch_tensor, population_size


@dataclass(frozen=True)
class Interval:
    """A closed or half-open range of allowed real values."""

    low: float = 0.0
    high: float = math.inf
    high_closed: bool = True

    def describe(self) -> str:
        if self.high == math.inf:
            return f">= {self.low:g}"
        bracket = "]" if self.high_closed else ")"
        return f"in [{self.low:g}, {self.high:g}{bracket}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        upper = values <= self.high if self.high_closed else values < self.high
        return (values >= self.low) & upper


@dataclass(frozen=True)
class Pair:
    """Two values, each within ``interval`` (Adam's ``betas``)."""

    interval: Interval


@dataclass(frozen=True)
class Flag:
    """A bool."""


@dataclass(frozen=True)
class Bounds:
    """None, or a pair (min, max) with 0 <= min <= max."""


Constraint = Interval | Pair | Flag | Bounds

NON_NEGATIVE = Interval()
UNIT_CLOSED = Interval(0.0, 1.0)
UNIT_HALF_OPEN = Interval(0.0, 1.0, high_closed=False)


def _as_numpy(value: Any) -> np.ndarray:
    if is_torch_tensor(value):
        value = value.detach().cpu()
    return np.asarray(value, dtype=float)


def _shown(value: Any) -> Any:
    """Python numbers as they are; NumPy scalars as Python numbers; anything else unchanged."""
    if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0:
        return value.item()
    return value


def _prefix(name: str, owner: str) -> str:
    return f"The {name!r} parameter of {owner}"


def check_real(owner: str, name: str, value: Any, interval: Interval) -> None:
    """Raise ValueError unless ``value`` is a number or 1-D array within ``interval``."""
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Real) or hasattr(value, "shape") or isinstance(value, Sequence)
    ):
        raise ValueError(
            f"{_prefix(name, owner)} must be a real number or a 1-D array over the population "
            f"axis. Got {value!r} instead."
        )
    try:
        values = _as_numpy(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{_prefix(name, owner)} must be a real number or a 1-D array over the population "
            f"axis. Got {value!r} instead."
        ) from None
    if values.ndim > 1 or (values.ndim == 1 and values.shape[0] == 0):
        raise ValueError(
            f"{_prefix(name, owner)} must be a real number or a non-empty 1-D array over the "
            f"population axis. Got an array of shape {values.shape} instead."
        )
    ok = interval.holds(values)
    if values.ndim == 0:
        if not bool(ok):
            raise ValueError(
                f"{_prefix(name, owner)} must be {interval.describe()}. "
                f"Got {_shown(value)!r} instead."
            )
        return
    if not ok.all():
        index = int(np.argmin(ok))
        raise ValueError(
            f"{_prefix(name, owner)} must be {interval.describe()} for every population member. "
            f"Got {float(values[index])!r} at index {index} instead."
        )


def check_hyperparameters(
    owner: str, values: Mapping[str, Any], table: Mapping[str, Constraint]
) -> None:
    """Check every entry of ``values`` named in ``table``; raise ValueError on the first bad one."""
    for name, constraint in table.items():
        if name not in values:
            continue
        value = values[name]
        if isinstance(constraint, Interval):
            check_real(owner, name, value, constraint)
        elif isinstance(constraint, Flag):
            if not isinstance(value, bool):
                raise ValueError(f"{_prefix(name, owner)} must be a bool. Got {value!r} instead.")
        elif isinstance(constraint, Pair):
            _check_pair(owner, name, value, constraint.interval)
        else:
            _check_bounds(owner, name, value)


def _check_pair(owner: str, name: str, value: Any, interval: Interval) -> None:
    def bad_pair() -> ValueError:
        return ValueError(
            f"{_prefix(name, owner)} must be a pair of values {interval.describe()}. "
            f"Got {value!r} instead."
        )

    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise bad_pair()
    for index, item in enumerate(value):
        if is_scalar(item) and not isinstance(item, bool):
            if not bool(interval.holds(_as_numpy(item))):
                raise bad_pair()
        else:
            check_real(owner, f"{name}[{index}]", item, interval)


def _check_bounds(owner: str, name: str, value: Any) -> None:
    if value is None:
        return
    real = (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    )
    if not real or not 0 <= value[0] <= value[1]:
        raise ValueError(
            f"{_prefix(name, owner)} must be None or a pair (min, max) with 0 <= min <= max. "
            f"Got {value!r} instead."
        )


def check_nesterov(owner: str, nesterov: bool, momentum: Any, dampening: Any) -> None:
    """Nesterov momentum needs momentum > 0 and zero dampening for every member."""
    if not nesterov:
        return
    if not (_as_numpy(momentum) > 0).all() or not (_as_numpy(dampening) == 0).all():
        raise ValueError(
            f"{_prefix('nesterov', owner)} requires momentum > 0 and dampening == 0. "
            f"Got momentum={momentum!r}, dampening={dampening!r} instead."
        )


def check_population(owner: str, name: str, value: Any, param_shape: tuple[int, ...]) -> None:
    """A hyperparameter array's length must be 1 or the parameter's leading axis."""
    size = population_size(value)
    if size is None or size == 1:
        return
    if len(param_shape) == 0 or param_shape[0] != size:
        raise ValueError(
            f"{_prefix(name, owner)} has a population axis of length {size}, which does not "
            f"broadcast against a parameter of shape {tuple(param_shape)}: the parameter's "
            f"leading axis must have length {size}."
        )


def check_populations(
    owner: str, values: Mapping[str, Any], param_shapes: Sequence[tuple[int, ...]]
) -> None:
    """Check every array hyperparameter (pairs such as ``betas`` included) against each shape."""
    for name, value in values.items():
        items = value if isinstance(value, tuple) else (value,)
        for index, item in enumerate(items):
            if is_scalar(item):
                continue
            label = name if len(items) == 1 else f"{name}[{index}]"
            for shape in param_shapes:
                check_population(owner, label, item, shape)
