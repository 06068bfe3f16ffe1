"""SGD, RMSprop, Adam and AdamW in place over torch rows (P, N), for population training.

The same arithmetic as the pure rules in ``functional`` (a parity test holds them equal), for
the one caller that steps hundreds of times a second over a whole population: hyperparameters
were validated once by that caller and come as floats or (P, 1) tensors; state buffers are
updated in place; the gradient is used as scratch space. Each rule writes the step Δ over the
gradient and returns it (θ ← θ + Δ), so the caller checks and applies the steps of every rule
at once and can drop Δ for members that must not move.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._rules_adam import AdamState
from ._rules_adaptive import RMSpropState
from ._rules_sgd import SGDState

__all__ = ["adam_step_", "rmsprop_step_", "sgd_step_"]

Value = float | Tensor  # one value for all rows, or a (P, 1) column of per-row values


def _is_zero(value: Value) -> bool:
    return not isinstance(value, Tensor) and value == 0


def _add_scaled_(target: Tensor, values: Tensor, factor: Value) -> Tensor:
    """target ← target + factor · values, in place."""
    if isinstance(factor, Tensor):
        return target.addcmul_(values, factor)
    return target.add_(values, alpha=factor)


def _decayed(grad: Tensor, param: Tensor, weight_decay: Value) -> Tensor:
    """g ← ∇f(θ) + λθ, written over the gradient."""
    return grad if _is_zero(weight_decay) else _add_scaled_(grad, param, weight_decay)


def _momentum_(buffer: Tensor | None, value: Tensor, momentum: Value) -> Tensor:
    """Heavy-ball buffer b ← μ b + value, in place (b = value on the first step)."""
    if buffer is None:
        return value.clone()
    return buffer.mul_(momentum).add_(value)


def sgd_step_(
    param: Tensor,
    grad: Tensor,
    state: SGDState,
    *,
    lr: Value,
    momentum: Value,
    weight_decay: Value,
) -> tuple[Tensor, SGDState]:
    """SGD with heavy-ball momentum (Polyak 1964), no dampening: Δ = −η b, b ← μ b + g.

    A row whose μ is 0 gets b = g, the plain gradient step, as in ``functional.sgd``.
    """
    g = _decayed(grad, param, weight_decay)
    if _is_zero(momentum):
        return g.mul_(-lr), state
    buffer = _momentum_(state.momentum_buffer, g, momentum)
    return g.copy_(buffer).mul_(-lr), SGDState(buffer)


def rmsprop_step_(
    param: Tensor,
    grad: Tensor,
    state: RMSpropState,
    *,
    lr: Value,
    alpha: Value,
    eps: Value,
    weight_decay: Value,
    momentum: Value,
    scratch: Tensor | None = None,
) -> tuple[Tensor, RMSpropState]:
    """RMSprop (Hinton, Srivastava & Swersky 2012), not centered: s ← α s + (1 − α) g²,
    u = g / (√s + ε); Δ = −η u, or with momentum b ← μ b + u, Δ = −η b. ``scratch``, an
    array of the gradient's shape, saves allocating one."""
    g = _decayed(grad, param, weight_decay)
    scratch = torch.mul(g, g, out=scratch)
    square_avg = state.square_avg.lerp_(scratch, 1 - alpha)  # α s + (1 − α) g², one pass
    direction = g.div_(torch.sqrt(square_avg, out=scratch).add_(eps))
    if _is_zero(momentum):
        return direction.mul_(-lr), state
    buffer = _momentum_(state.momentum_buffer, direction, momentum)
    return direction.copy_(buffer).mul_(-lr), RMSpropState(square_avg, None, buffer)


def adam_step_(
    param: Tensor,
    grad: Tensor,
    state: AdamState,
    *,
    lr: Value,
    beta1: Value,
    beta2: Value,
    eps: Value,
    weight_decay: Value,
    decoupled: bool,
) -> tuple[Tensor, AdamState]:
    """Adam (Kingma & Ba 2015), or AdamW with ``decoupled`` (Loshchilov & Hutter 2019).

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  Δ = −η (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε),
    minus η λ θ with decoupled weight decay (g carries + λθ otherwise).
    """
    step = state.step + 1
    g = grad if decoupled else _decayed(grad, param, weight_decay)
    exp_avg = state.exp_avg.lerp_(g, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq.lerp_(g.mul_(g), 1 - beta2)  # β₂ v + (1 − β₂) g²
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    # m̂ / (√v̂ + ε) = (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m / (√v + ε √(1 − β₂ᵗ)): three passes, not five
    denominator = torch.sqrt(exp_avg_sq, out=g).add_(eps * bias_correction2_sqrt)
    step_size = -lr * bias_correction2_sqrt / bias_correction1
    delta = torch.div(exp_avg, denominator, out=denominator).mul_(step_size)
    if decoupled and not _is_zero(weight_decay):
        _add_scaled_(delta, param, -lr * weight_decay)
    return delta, AdamState(step, exp_avg, exp_avg_sq, None)
