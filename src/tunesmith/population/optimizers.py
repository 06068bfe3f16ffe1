"""Members grouped by optimizer, each group stepped by one tunesmith.optim.functional call.

A group is a contiguous block of rows of the population's flat weights (P, N); its
hyperparameters are (P_g,) tensors, so every member keeps its own learning rate, momentum,
betas and weight decay (a value shared by the whole group goes to the rule as a float). A
member whose update is not finite, or that is no longer active, keeps its weights: the step
is masked out for it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from tunesmith.optim import functional as F

__all__ = ["RULE_ORDER", "OptimizerGroup", "build_groups"]

RULE_ORDER = ("sgd", "momentum", "rmsprop", "adam", "adamw")  # one group per optimizer
_RULES: dict[str, tuple[Callable, Callable]] = {
    "sgd": (F.sgd_init, F.sgd),
    "momentum": (F.sgd_init, F.sgd),
    "rmsprop": (F.rmsprop_init, F.rmsprop),
    "adam": (F.adam_init, F.adam),
    "adamw": (F.adamw_init, F.adamw),
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


def _shared_or_each(values: Tensor) -> float | Tensor:
    """A float when every member has the same value (the rule's scalar fast path), else (P_g,)."""
    first = float(values[0])
    return first if bool((values == values[0]).all()) else values


def _keyword_arguments(rule: str, values: Mapping[str, Tensor]) -> dict[str, Any]:
    kwargs = {n: _shared_or_each(values[n]) for n in _HYPER_NAMES[rule] if not n.startswith("beta")}
    if rule in ("adam", "adamw"):
        kwargs["betas"] = (_shared_or_each(values["beta1"]), _shared_or_each(values["beta2"]))
    return kwargs


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

    def scale_lr(self, factor: float) -> None:
        """Use ``factor`` times each member's learning rate from now on (a schedule's step)."""
        self._kwargs["lr"] = self._lr if factor == 1.0 else self._lr * factor

    def step(self, flat: Tensor, grad: Tensor, active: Tensor) -> None:
        """One update of the group's rows in place; inactive or non-finite members stay put."""
        rows = slice(self.start, self.stop)
        param = flat[rows]
        new, self.state = self._update(param, grad[rows], self.state, **self._kwargs)
        ok = active[rows] & torch.isfinite(new.sum(dim=1))  # a non-finite entry makes the sum so
        active[rows] = ok
        torch.where(ok.unsqueeze(1), new, param, out=param)

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
