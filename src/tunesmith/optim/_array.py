"""Array helpers shared by the update rules: namespace lookup and population broadcasting."""

from __future__ import annotations

import numbers
import sys
from types import ModuleType
from typing import Any

import numpy as np

Array = Any  # a NumPy array or a torch.Tensor; rules never convert between the two
Hyperparameter = Any  # a Python number, or an array whose leading axis is the population


def is_torch_tensor(value: object) -> bool:
    """Whether ``value`` is a torch.Tensor, without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def array_namespace(*arrays: Array) -> ModuleType:
    """The array library of ``arrays`` (numpy or torch); mixing the two is an error."""
    torch_flags = {is_torch_tensor(a) for a in arrays if a is not None}
    if len(torch_flags) > 1:
        raise TypeError(
            "tunesmith.optim rules take arrays from one library at a time; got a mix of "
            "NumPy arrays and torch tensors."
        )
    if torch_flags == {True}:
        return sys.modules["torch"]
    return np


def zeros_like(param: Array) -> Array:
    """A zero array with the shape, dtype and device of ``param``."""
    return array_namespace(param).zeros_like(param)


def copy_array(value: Array) -> Array:
    """A fresh copy of ``value`` in its own library."""
    return value.clone() if is_torch_tensor(value) else value.copy()


def lerp(start: Array, end: Array, weight: float | Array) -> Array:
    """start + w (end − start), computed from the nearer end (w < 0.5 from start) for accuracy."""
    if is_torch_tensor(start):
        return sys.modules["torch"].lerp(start, end, weight)
    if not hasattr(weight, "shape"):
        if weight < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    near_start = start + weight * (end - start)
    near_end = end - (end - start) * (1 - weight)
    return np.where(weight < 0.5, near_start, near_end)


def cast_like(value: Array, param: Array) -> Array:
    """``value`` as an array of ``param``'s library, dtype and device (no copy if it is one)."""
    if is_torch_tensor(param):
        torch = sys.modules["torch"]
        return torch.as_tensor(value, dtype=param.dtype, device=param.device)
    return np.asarray(value, dtype=param.dtype)


def cast_state(state: Any, param: Array) -> Any:
    """A rule's state tuple with every array field in ``param``'s dtype and device."""
    fields = []
    for field in state:
        if isinstance(field, tuple):
            field = cast_state(field, param)
        elif hasattr(field, "shape"):
            field = cast_like(field, param)
        fields.append(field)
    return type(state)(*fields)


def is_scalar(value: Hyperparameter) -> bool:
    """Whether a hyperparameter holds one number for every population member."""
    if isinstance(value, numbers.Real):
        return True
    return getattr(value, "ndim", None) == 0


def is_zero(value: Hyperparameter) -> bool:
    """Whether a hyperparameter is the scalar 0 (arrays are never treated as zero)."""
    return is_scalar(value) and float(value) == 0.0


def population_size(value: Hyperparameter) -> int | None:
    """The population size of a hyperparameter: None for a scalar, else its length."""
    if is_scalar(value):
        return None
    return int(np.shape(value)[0]) if not hasattr(value, "shape") else int(value.shape[0])


def broadcast_to_param(value: Hyperparameter, param: Array) -> float | Array:
    """A float for a scalar; else ``value`` in ``param``'s dtype shaped (P, 1, ..., 1)."""
    if is_scalar(value):
        return float(value)
    array = cast_like(value, param)
    return array.reshape((array.shape[0],) + (1,) * (param.ndim - 1))


def population_sum(values: Array, size: int | None) -> Array:
    """Sum over all axes but the population axis; a scalar sum when ``size`` is None."""
    if size is None:
        return values.sum()
    if size == 1 and values.shape[0] != 1:
        return values.sum().reshape(1)
    return values.reshape(size, -1).sum(1)
