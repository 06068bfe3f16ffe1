"""Shared machinery of tunesmith's torch.optim.Optimizer subclasses and their foreach helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

try:
    import torch
    from torch import Tensor
    from torch.optim import Optimizer
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "tunesmith.optim's Optimizer classes need PyTorch; install it with "
        'pip install "tunesmith[torch]".'
    ) from error

from ._array import is_scalar
from ._validation import (
    Constraint,
    Interval,
    Pair,
    check_hyperparameters,
    check_populations,
)

HyperparameterLike = float | Tensor | np.ndarray | list[float]
"""A hyperparameter: one number, or one per population member (a 1-D array or list)."""

Params = Iterable[Tensor] | Iterable[dict[str, Any]]
"""What an optimizer takes: tensors, or param groups (dicts with "params" and settings)."""

Scale = float | list[float] | list[Tensor]
"""A factor for a foreach op: one float, one float per tensor, or one tensor per tensor."""


class TunesmithOptimizer(Optimizer):
    """Validated param groups, closures and per-group gathering for every tunesmith optimizer."""

    hyperparameter_table: ClassVar[dict[str, Constraint]] = {}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group after checking its hyperparameters (scalars or population arrays)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            self._check_group(group)
        except ValueError:
            self.param_groups.pop()
            raise

    def _check_group(self, group: dict[str, Any]) -> None:
        owner = type(self).__name__
        check_hyperparameters(owner, group, self.hyperparameter_table)
        numeric = {
            name: group[name]
            for name, constraint in self.hyperparameter_table.items()
            if isinstance(constraint, Interval | Pair)
        }
        check_populations(owner, numeric, [tuple(p.shape) for p in group["params"]])
        for name, value in numeric.items():
            group[name] = _as_population(value)
        self._check_options(group)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Checks across hyperparameters (Nesterov needs momentum); none by default."""

    def state_dict(self) -> dict[str, Any]:
        """The state dict, per-member hyperparameters as Python lists (weights_only loads it)."""
        packed = super().state_dict()
        packed["param_groups"] = [
            {name: _as_plain(value) for name, value in group.items()}
            for group in packed["param_groups"]
        ]
        return packed

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict; per-member hyperparameters saved as lists become arrays again."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            for name, value in group.items():
                if name != "params":
                    group[name] = _as_population(value)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients.")
            if params:
                self._update_group(group, params)
        return loss

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        raise NotImplementedError


def _as_population(value: Any) -> Any:
    """Per-member values (lists, 1-D tensors) as float64 NumPy arrays, which lr schedulers scale.

    torch's lr schedulers multiply a NumPy rate but ``fill_`` a tensor rate with one number,
    which a 1-D tensor cannot take; scalars (0-d tensors included) stay as given.
    """
    if isinstance(value, tuple):
        return tuple(_as_population(item) for item in value)
    if isinstance(value, list):
        return np.asarray(value, dtype=float)
    if isinstance(value, Tensor) and value.ndim == 1:
        return value.detach().to(device="cpu", dtype=torch.float64).numpy().copy()
    return value


def _as_plain(value: Any) -> Any:
    """NumPy arrays and scalars as Python lists and floats, so the state dict holds no NumPy."""
    if isinstance(value, tuple):
        return tuple(_as_plain(item) for item in value)
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value


def switches(owner: str, **values: Any) -> dict[str, Any]:
    """torch.optim's implementation switches, checked and returned for the param-group defaults.

    ``foreach`` and ``fused`` (None or a bool) choose kernels and ``capturable`` a step that a
    CUDA graph can capture: tunesmith accepts and ignores them, its one foreach path giving the
    same results. ``differentiable=True`` is refused: steps run outside autograd.
    """
    for name, value in values.items():
        allowed = (bool, type(None)) if name in ("foreach", "fused") else (bool,)
        if not isinstance(value, allowed):
            kind = "None or a bool" if type(None) in allowed else "a bool"
            raise ValueError(
                f"The {name!r} parameter of {owner} must be {kind}. Got {value!r} instead."
            )
    if values.get("foreach") and values.get("fused"):
        raise ValueError(
            f"The 'foreach' and 'fused' parameters of {owner} cannot both be True. "
            f"Got foreach=True, fused=True instead."
        )
    if values.get("differentiable"):
        raise ValueError(
            f"The 'differentiable' parameter of {owner} must be False: tunesmith's optimizers "
            f"take their steps outside autograd. Got True instead."
        )
    return values


def as_real(tensors: Iterable[Tensor]) -> list[Tensor]:
    """The tensors, complex ones viewed as real pairs (updated elementwise like tunesmith does)."""
    tensors = list(tensors)
    if not any(t.is_complex() for t in tensors):
        return tensors
    return [torch.view_as_real(t) if t.is_complex() else t for t in tensors]


def signed_grads(params: list[Tensor], maximize: bool) -> list[Tensor]:
    """The gradients of the objective being minimized, as real views."""
    grads = as_real(p.grad for p in params)
    return torch._foreach_neg(grads) if maximize else grads


def per_tensor(value: Any, tensors: list[Tensor]) -> float | list[Tensor]:
    """A float for a scalar hyperparameter, else one (P, 1, ..., 1) view per tensor."""
    if type(value) is float or is_scalar(value):
        return float(value)
    base = torch.as_tensor(value)
    cache: dict[tuple, Tensor] = {}
    views = []
    for t in tensors:
        key = (t.device, t.dtype, t.ndim)
        if key not in cache:
            cast = base.to(device=t.device, dtype=t.dtype)
            cache[key] = cast.reshape((cast.shape[0],) + (1,) * (t.ndim - 1))
        views.append(cache[key])
    return views


def is_zero(value: Any) -> bool:
    """Whether a group hyperparameter is the scalar 0."""
    if type(value) is float:
        return value == 0.0
    return is_scalar(value) and float(value) == 0.0


def elementwise(function: Callable[..., Any], *scales: Any) -> Any:
    """Apply ``function`` to floats, or item by item across per-tensor lists."""
    if not any(isinstance(s, list) for s in scales):
        return function(*scales)
    length = next(len(s) for s in scales if isinstance(s, list))
    columns = [s if isinstance(s, list) else [s] * length for s in scales]
    return [function(*items) for items in zip(*columns, strict=True)]


def _holds_tensors(scale: Scale) -> bool:
    return isinstance(scale, list) and bool(scale) and isinstance(scale[0], Tensor)


def add_scaled_(xs: list[Tensor], ys: list[Tensor], scale: Scale) -> None:
    """xs ← xs + scale · ys, in place."""
    if isinstance(scale, float):
        torch._foreach_add_(xs, ys, alpha=scale)
    else:
        torch._foreach_add_(xs, torch._foreach_mul(ys, scale))


def added_scaled(xs: list[Tensor], ys: list[Tensor], scale: Scale) -> list[Tensor]:
    """New tensors xs + scale · ys."""
    if isinstance(scale, float):
        return torch._foreach_add(xs, ys, alpha=scale)
    return torch._foreach_add(xs, torch._foreach_mul(ys, scale))


def addcmul_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], scale: Scale) -> None:
    """xs ← xs + scale · a · b, in place."""
    if _holds_tensors(scale):
        torch._foreach_addcmul_(xs, torch._foreach_mul(a, scale), b)
    else:
        torch._foreach_addcmul_(xs, a, b, scale)


def addcdiv_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], scale: Scale) -> None:
    """xs ← xs + scale · a / b, in place."""
    if _holds_tensors(scale):
        torch._foreach_addcdiv_(xs, torch._foreach_mul(a, scale), b)
    else:
        torch._foreach_addcdiv_(xs, a, b, scale)


def state_tensors(
    optimizer: Optimizer, params: list[Tensor], key: str, make: Callable[[Tensor], Tensor]
) -> list[Tensor]:
    """State ``key`` of every param as real views, created with ``make(param)`` when missing."""
    tensors = []
    for p in params:
        state = optimizer.state[p]
        if key not in state:
            state[key] = make(p)
        tensors.append(state[key])
    return as_real(tensors)


def new_step(param: Tensor) -> Tensor:
    """A step counter as torch.optim keeps it: a float32 scalar tensor on the CPU."""
    return torch.tensor(0.0, dtype=torch.float32)


def zeros(param: Tensor) -> Tensor:
    """A zero tensor like ``param`` (preserving its memory format)."""
    return torch.zeros_like(param, memory_format=torch.preserve_format)


def square_roots(optimizer: Optimizer, params: list[Tensor], tensors: list[Tensor]) -> list[Tensor]:
    """√x for each of ``tensors``; on the CPU written into buffers kept across steps.

    A fresh CPU tensor of millions of elements costs page faults on every step (several times
    the cost of the square root itself), so each parameter keeps a scratch buffer there. Its
    content is meaningless between steps and it is not part of the state dict.
    """
    if not tensors or tensors[0].device.type != "cpu":
        return torch._foreach_sqrt(tensors)
    workspace = optimizer.__dict__.setdefault("_tunesmith_workspace", {})
    roots = []
    for p, t in zip(params, tensors, strict=True):
        buffer = workspace.get(p)
        if buffer is None or buffer.shape != t.shape or buffer.dtype != t.dtype:
            buffer = torch.empty_like(t, memory_format=torch.contiguous_format)
            workspace[p] = buffer
        roots.append(torch.sqrt(t, out=buffer))
    return roots


def advance_steps(steps: list[Tensor]) -> list[float]:
    """Add one to every step counter; return the new counts as floats."""
    torch._foreach_add_(steps, 1)
    return [step.item() for step in steps]
