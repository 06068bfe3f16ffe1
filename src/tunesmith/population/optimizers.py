"""Members grouped by optimizer, each group stepped by one in-place rule of tunesmith.optim.

A group is a contiguous block of rows of the population's flat weights (P, N); its
hyperparameters are (P_g, 1) columns, so every member keeps its own learning rate, momentum,
betas and weight decay. The in-place rules compute what ``tunesmith.optim.functional`` does (a
test holds them equal) without allocating per operation. Each group writes its members' steps
over the gradient; the engine then checks and applies every step at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import torch
from torch import Tensor

from tunesmith.optim import functional as F
from tunesmith.optim import inplace as inplace

__all__ = ["RULE_ORDER", "OptimizerGroup", "build_groups"]

RULE_ORDER = ("sgd", "momentum", "rmsprop", "adam", "adamw")  # one group per optimizer
_RULES: dict[str, tuple[Callable, Callable]] = {
    "sgd": (F.sgd_init, inplace.sgd_step_),
    "momentum": (F.sgd_init, inplace.sgd_step_),
    "rmsprop": (F.rmsprop_init, inplace.rmsprop_step_),
    "adam": (F.adam_init, partial(inplace.adam_step_, decoupled=False)),
    "adamw": (F.adamw_init, partial(inplace.adam_step_, decoupled=True)),
}
_HYPER_NAMES = {
    "sgd": ("lr", "momentum", "weight_decay"),
    "momentum": ("lr", "momentum", "weight_decay"),
    "rmsprop": ("lr", "alpha", "eps", "weight_decay", "momentum"),
    "adam": ("lr", "beta1", "beta2", "eps", "weight_decay"),
    "adamw": ("lr", "beta1", "beta2", "eps", "weight_decay"),
}


def rule_of(hyper: Mapping[str, Any]) -> str:
    """A member's optimizer group: its optimizer's name ("momentum" is SGD with momentum)."""
    return hyper["optimizer"]


def _column_or_zero(values: Tensor) -> float | Tensor:
    """A (P_g, 1) column broadcast over each member's row, or 0.0 when every value is 0 (the
    rule then skips that term). Never a float otherwise: a member's arithmetic must not
    depend on whether the others share its value, so that it trains as it would alone."""
    return 0.0 if not bool(values.any()) else values.unsqueeze(1)


def _keyword_arguments(rule: str, values: Mapping[str, Tensor]) -> dict[str, Any]:
    return {name: _column_or_zero(values[name]) for name in _HYPER_NAMES[rule]}


def _take_state(state: NamedTuple, rows: Tensor) -> NamedTuple:
    """The optimizer state of some members: every array field indexed on its population axis."""
    fields = [f[rows] if isinstance(f, Tensor) else f for f in state]
    return type(state)(*fields)


class OptimizerGroup:
    """Rows [start, stop) of the flat weights, updated by one optimizer with per-member values."""

    def __init__(self, rule: str, start: int, stop: int, hyper: Mapping[str, Tensor], state: Any):
        self.rule, self.start, self.stop = rule, start, stop
        self.hyper = dict(hyper)
        self.state = state
        self._update = _RULES[rule][1]
        self._kwargs = _keyword_arguments(rule, self.hyper)
        self._lr = self._kwargs["lr"]
        if rule == "rmsprop":  # its one work array, kept rather than allocated each step
            self._kwargs["scratch"] = torch.empty_like(state.square_avg)

    def scale_lr(self, factor: float) -> None:
        """Use ``factor`` times each member's learning rate from now on (a schedule's step)."""
        self._kwargs["lr"] = self._lr if factor == 1.0 else self._lr * factor

    def step(self, flat: Tensor, grad: Tensor) -> None:
        """Advance the group's optimizer state and write its rows' steps Δ over ``grad``."""
        rows = slice(self.start, self.stop)
        _, self.state = self._update(flat[rows], grad[rows], self.state, **self._kwargs)

    def take(self, local_rows: Tensor, start: int) -> OptimizerGroup:
        """The group restricted to some of its members (rows relative to ``self.start``)."""
        hyper = {k: v[local_rows] for k, v in self.hyper.items()}
        state = _take_state(self.state, local_rows)
        return OptimizerGroup(self.rule, start, start + len(local_rows), hyper, state)


def build_groups(
    flat: Tensor, hypers: Sequence[Mapping[str, Any]], device: torch.device
) -> list[OptimizerGroup]:
    """One group per optimizer over ``hypers``, which must already be sorted by ``RULE_ORDER``."""
    groups, start = [], 0
    rules = [rule_of(h) for h in hypers]
    for rule in RULE_ORDER:
        count = rules.count(rule)
        if not count:
            continue
        members = hypers[start : start + count]
        values = {
            name: torch.tensor([h[name] for h in members], dtype=flat.dtype, device=device)
            for name in _HYPER_NAMES[rule]
        }
        state = _RULES[rule][0](flat[start : start + count].detach())
        groups.append(OptimizerGroup(rule, start, start + count, values, state))
        start += count
    return groups
