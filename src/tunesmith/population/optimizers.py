"""Members grouped by optimizer; the groups of every shape stepped by one rule per optimizer.

A group is a contiguous block of rows of the population's flat weights (P, N); its
hyperparameters are (P_g, 1) columns, so every member keeps its own learning rate, momentum,
betas and weight decay. ``step_groups`` steps the groups of any number of shapes with one
multi-tensor rule per optimizer (``multistep``), which computes what the in-place rules of
``tunesmith.optim`` compute (a test holds them equal) without allocating per operation. Each
group writes its members' steps over the gradient; the engine then checks and applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import torch
from torch import Tensor

from tunesmith.optim import functional as F
from tunesmith.optim import inplace
from tunesmith.population.multistep import Entry, step_rule

__all__ = ["RULE_ORDER", "OptimizerGroup", "build_groups", "step_groups"]

RULE_ORDER = ("sgd", "momentum", "rmsprop", "adam", "adamw")  # one group per optimizer
_ALONE: dict[str, Callable] = {  # the in-place rules, for a rule with one group
    "sgd": inplace.sgd_step_,
    "momentum": inplace.sgd_step_,
    "rmsprop": inplace.rmsprop_step_,
    "adam": partial(inplace.adam_step_, decoupled=False),
    "adamw": partial(inplace.adam_step_, decoupled=True),
}
_INITS: dict[str, Callable] = {
    "sgd": F.sgd_init,
    "momentum": F.sgd_init,
    "rmsprop": F.rmsprop_init,
    "adam": F.adam_init,
    "adamw": F.adamw_init,
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
    """Rows [start, stop) of the flat weights, updated by one optimizer with per-member values.

    Besides the hyperparameter columns, a group keeps the operands its rule takes every step
    (``operands``: 1 − β, ε, μ, ...), each a (P_g, 1) column or a 0-d tensor, computed once.
    """

    def __init__(self, rule: str, start: int, stop: int, hyper: Mapping[str, Tensor], state: Any):
        self.rule, self.start, self.stop = rule, start, stop
        self.hyper = dict(hyper)
        self.state = state
        kwargs = _keyword_arguments(rule, self.hyper)
        self._kwargs, self._lr = kwargs, kwargs["lr"]
        like = next(iter(self.hyper.values()))
        self.operands = {k: _operand(v, like) for k, v in kwargs.items()}
        self.decoupled = rule == "adamw"
        self.coupled_decay = not self.decoupled and isinstance(kwargs["weight_decay"], Tensor)
        self.has_momentum = isinstance(kwargs.get("momentum", 0.0), Tensor)
        for name in ("alpha", "beta1", "beta2"):
            if name in kwargs:
                self.operands[f"one_minus_{name}"] = _operand(1 - kwargs[name], like)
        if rule == "rmsprop":  # its one work array, kept rather than allocated each step
            self.operands["scratch"] = torch.empty_like(state.square_avg)
        self.scale_lr(1.0)

    def scale_lr(self, factor: float) -> None:
        """Use ``factor`` times each member's learning rate from now on (a schedule's step)."""
        lr = self._kwargs["lr"] = self._lr if factor == 1.0 else self._lr * factor
        like = next(iter(self.hyper.values()))
        self.neg_lr = _operand(-lr, like)
        self.decoupled_factor = None
        if self.decoupled and isinstance(self._kwargs["weight_decay"], Tensor):
            self.decoupled_factor = -lr * self._kwargs["weight_decay"]

    def corrections(self) -> tuple[Tensor, Tensor]:
        """Adam's ε √(1 − β₂ᵗ) and step size −η √(1 − β₂ᵗ) / (1 − β₁ᵗ) at the state's step t."""
        kw, step = self._kwargs, self.state.step
        bias_correction1 = 1 - kw["beta1"] ** step
        bias_correction2_sqrt = (1 - kw["beta2"] ** step) ** 0.5
        like = next(iter(self.hyper.values()))
        eps = _operand(kw["eps"] * bias_correction2_sqrt, like)
        return eps, _operand(-kw["lr"] * bias_correction2_sqrt / bias_correction1, like)

    def column(self, name: str) -> Tensor:
        """A hyperparameter term as a (P_g, 1) column (a float repeated): "neg_lr" (−η) or a
        rule's keyword ("beta1", "eps", ...)."""
        value = self.neg_lr if name == "neg_lr" else self.operands[name]
        return value.expand(self.stop - self.start, 1)

    def step(self, flat: Tensor, grad: Tensor) -> None:
        """Advance the group's optimizer state and write its rows' steps Δ over ``grad``."""
        rows = slice(self.start, self.stop)
        self.step_rows(flat[rows], grad[rows])

    def step_rows(self, param: Tensor, grad: Tensor) -> None:
        """The group's step by its in-place rule over its own rows (``param``, ``grad``): the
        same numbers as ``step_groups``, with fewer calls for a group stepped on its own."""
        scratch = {"scratch": self.operands["scratch"]} if self.rule == "rmsprop" else {}
        _, self.state = _ALONE[self.rule](param, grad, self.state, **self._kwargs, **scratch)

    def take(self, local_rows: Tensor, start: int) -> OptimizerGroup:
        """The group restricted to some of its members (rows relative to ``self.start``)."""
        hyper = {k: v[local_rows] for k, v in self.hyper.items()}
        state = _take_state(self.state, local_rows)
        return OptimizerGroup(self.rule, start, start + len(local_rows), hyper, state)


def step_groups(entries: Sequence[Entry]) -> None:
    """Step every group of ``entries`` (groups of any shapes), one multi-tensor pass per rule.

    Args:
        entries: (group, weight rows, gradient rows) per group; each group's steps Δ are
            written over its gradient rows.
    """
    for rule in RULE_ORDER:
        mine = [e for e in entries if e[0].rule == rule]
        if len(mine) == 1:  # one shape: the in-place rule costs fewer calls
            mine[0][0].step_rows(mine[0][1], mine[0][2])
        else:
            step_rule(rule, mine)


def _operand(value: float | Tensor, like: Tensor) -> Tensor:
    """A value as a tensor a multi-tensor operation takes: a column as it is, a float as a 0-d
    tensor of the weights' dtype (every such float is exact: 0, 1 or a product with 0)."""
    if isinstance(value, Tensor):
        return value
    return torch.tensor(value, dtype=like.dtype, device=like.device)


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
        state = _INITS[rule](flat[start : start + count].detach())
        groups.append(OptimizerGroup(rule, start, start + count, values, state))
        start += count
    return groups
