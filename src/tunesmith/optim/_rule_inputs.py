"""Entry checks shared by the functional rules: one array library, matching shapes, valid values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._array import Array, array_namespace, broadcast_to_param, is_torch_tensor
from ._validation import Constraint, Interval, Pair, check_hyperparameters, check_populations


def check_arrays(owner: str, param: Array, grad: Array) -> None:
    """``param`` and ``grad`` must be arrays of one library with one shape."""
    array_namespace(param, grad)
    if not (hasattr(param, "shape") and hasattr(grad, "shape")):
        raise TypeError(
            f"{owner} updates NumPy arrays or torch tensors. Got {type(param).__name__} and "
            f"{type(grad).__name__} instead."
        )
    if tuple(param.shape) != tuple(grad.shape):
        raise ValueError(
            f"The 'grad' argument of {owner} must have the parameter's shape "
            f"{tuple(param.shape)}. Got {tuple(grad.shape)} instead."
        )
    if is_torch_tensor(param) and param.is_complex():
        raise ValueError(
            f"{owner} updates real arrays; view complex tensors as real first (torch.view_as_real)."
        )


def rule_inputs(
    owner: str,
    param: Array,
    grad: Array,
    hyperparameters: Mapping[str, Any],
    table: Mapping[str, Constraint],
) -> dict[str, Any]:
    """Validate a rule's inputs once; return numeric hyperparameters broadcast to ``param``."""
    check_arrays(owner, param, grad)
    check_hyperparameters(owner, hyperparameters, table)
    numeric = {
        name: hyperparameters[name]
        for name, constraint in table.items()
        if isinstance(constraint, Interval | Pair) and name in hyperparameters
    }
    check_populations(owner, numeric, [tuple(param.shape)])
    broadcast: dict[str, Any] = {}
    for name, value in hyperparameters.items():
        constraint = table.get(name)
        if isinstance(constraint, Interval):
            broadcast[name] = broadcast_to_param(value, param)
        elif isinstance(constraint, Pair):
            broadcast[name] = tuple(broadcast_to_param(item, param) for item in value)
        else:
            broadcast[name] = value
    return broadcast


def signed_gradient(grad: Array, maximize: bool) -> Array:
    """The gradient of the objective being minimized: ``-grad`` when maximizing."""
    return -grad if maximize else grad
