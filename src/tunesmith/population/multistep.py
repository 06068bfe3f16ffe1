"""One optimizer rule stepped over the groups of every shape at once (multi-tensor rules).

Each rule computes, group by group, exactly what its in-place rule in ``tunesmith.optim``
computes (a test holds them equal bit for bit), but issues one multi-tensor operation per pass
over the groups of every shape that share the rule, instead of one operation per pass and
group: a population searching over shapes pays the per-operation cost once per rule, not once
per shape. Hyperparameter terms a rule derives every step (1 − β, Adam's bias corrections) are
kept from step to step while the learning-rate factor and step count stay the same.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["Entry", "step_rule"]

Entry = tuple[Any, Tensor, Tensor]  # (OptimizerGroup, its weight rows, its gradient rows)


def _decay(entries: Sequence[Entry]) -> None:
    """g ← ∇f(θ) + λθ for every group whose λ is not all 0 (coupled weight decay)."""
    todo = [(g, p, e.operands["weight_decay"]) for e, p, g in entries if e.coupled_decay]
    if todo:
        grads, params, decays = zip(*todo)
        torch._foreach_addcmul_(list(grads), list(params), list(decays))


def _momentum(entries: Sequence[Entry], values: list[Tensor], make: Any) -> list[Tensor]:
    """Heavy-ball buffers b ← μ b + value (b = value on a group's first step); returns b."""
    old = [e for e, _, _ in entries if e.state.momentum_buffer is not None]
    if old:
        buffers = [e.state.momentum_buffer for e in old]
        torch._foreach_mul_(buffers, [e.operands["momentum"] for e in old])
        torch._foreach_add_(buffers, [v for (e, _, _), v in zip(entries, values) if e in old])
    out = []
    for (group, _, _), value in zip(entries, values):
        if group.state.momentum_buffer is None:
            group.state = make(group.state, value.clone())
        out.append(group.state.momentum_buffer)
    return out


def _finish(entries: Sequence[Entry], directions: list[Tensor]) -> None:
    """Δ = −η · direction, or −η · b with momentum, written over each group's gradient."""
    heavy = [i for i, (e, _, _) in enumerate(entries) if e.has_momentum]
    if heavy:
        picked = [entries[i] for i in heavy]
        make = lambda state, b: state._replace(momentum_buffer=b)  # noqa: E731
        buffers = _momentum(picked, [directions[i] for i in heavy], make)
        for (group, _, _), i, buffer in zip(picked, heavy, buffers):
            torch.mul(buffer, group.neg_lr, out=directions[i])  # one pass: no copy of b
    plain = [i for i in range(len(entries)) if i not in heavy]
    if plain:
        torch._foreach_mul_([directions[i] for i in plain], [entries[i][0].neg_lr for i in plain])


def _sgd(entries: Sequence[Entry]) -> None:
    """SGD with heavy-ball momentum, no dampening: Δ = −η b, b ← μ b + g (in-place sgd)."""
    _decay(entries)
    _finish(entries, [g for _, _, g in entries])


def _rmsprop(entries: Sequence[Entry]) -> None:
    """RMSprop, not centered: s ← α s + (1 − α) g², Δ = −η g / (√s + ε) (in-place rmsprop)."""
    _decay(entries)
    grads = [g for _, _, g in entries]
    scratch = [e.operands["scratch"] for e, _, _ in entries]
    for g, s in zip(grads, scratch):
        torch.mul(g, g, out=s)
    averages = [e.state.square_avg for e, _, _ in entries]
    torch._foreach_lerp_(averages, scratch, [e.operands["one_minus_alpha"] for e, _, _ in entries])
    for average, s in zip(averages, scratch):
        torch.sqrt(average, out=s)
    torch._foreach_add_(scratch, [e.operands["eps"] for e, _, _ in entries])
    torch._foreach_div_(grads, scratch)
    _finish(entries, grads)


def _adam(entries: Sequence[Entry]) -> None:
    """Adam, or AdamW for decoupled groups, in three passes after the moments (in-place adam)."""
    _decay(entries)
    grads = [g for _, _, g in entries]
    for group, _, _ in entries:
        group.state = group.state._replace(step=group.state.step + 1)
    means = [e.state.exp_avg for e, _, _ in entries]
    squares = [e.state.exp_avg_sq for e, _, _ in entries]
    torch._foreach_lerp_(means, grads, [e.operands["one_minus_beta1"] for e, _, _ in entries])
    torch._foreach_mul_(grads, grads)
    torch._foreach_lerp_(squares, grads, [e.operands["one_minus_beta2"] for e, _, _ in entries])
    corrections = _corrections([e for e, _, _ in entries])  # (ε √(1 − β₂ᵗ), step size)
    for square, g in zip(squares, grads):
        torch.sqrt(square, out=g)
    torch._foreach_add_(grads, [c[0] for c in corrections])
    for mean, g in zip(means, grads):
        torch.div(mean, g, out=g)
    torch._foreach_mul_(grads, [c[1] for c in corrections])
    decoupled = [(g, p, e.decoupled_factor) for e, p, g in entries]
    decoupled = [d for d in decoupled if d[2] is not None]
    if decoupled:
        deltas, params, factors = zip(*decoupled)
        torch._foreach_addcmul_(list(deltas), list(params), list(factors))


_COLUMNS: dict[str, Any] = {}  # per rule: the last groups stepped, their columns end to end


def _corrections(groups: list[Any]) -> list[tuple[Tensor, Tensor]]:
    """Each group's (ε √(1 − β₂ᵗ), −η √(1 − β₂ᵗ) / (1 − β₁ᵗ)), computed once over every
    group's columns end to end (the same arithmetic as group by group)."""
    step = groups[0].state.step
    if any(g.state.step != step for g in groups):
        return [g.corrections() for g in groups]
    key = [(weakref.ref(g), g.neg_lr) for g in groups]  # weak: never keeps a state alive
    rule = groups[0].rule  # "adam" and "adamw" keep one entry each
    cached = _COLUMNS.get(rule)
    if (
        cached is None
        or len(cached[0]) != len(key)
        or any(a() is not c() or b is not d for (a, b), (c, d) in zip(cached[0], key))
    ):
        columns = [torch.cat([g.column(name) for g in groups]) for name in _ADAM_COLUMNS]
        cached = _COLUMNS[rule] = (key, columns, [g.stop - g.start for g in groups])
    _, (beta1, beta2, eps, neg_lr), sizes = cached
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    eps_term = torch.split(eps * bias_correction2_sqrt, sizes)
    step_size = torch.split(neg_lr * bias_correction2_sqrt / bias_correction1, sizes)
    return list(zip(eps_term, step_size))


_ADAM_COLUMNS = ("beta1", "beta2", "eps", "neg_lr")
_STEPS = {"sgd": _sgd, "momentum": _sgd, "rmsprop": _rmsprop, "adam": _adam, "adamw": _adam}


def step_rule(rule: str, entries: Sequence[Entry]) -> None:
    """Advance the optimizer state of every group in ``entries`` (all of optimizer ``rule``) and
    write each group's steps Δ over its gradient rows.

    Args:
        rule: The groups' optimizer: "sgd", "momentum", "rmsprop", "adam" or "adamw".
        entries: (group, weight rows, gradient rows) per group, from any number of shapes.
    """
    if entries:
        _STEPS[rule](entries)
