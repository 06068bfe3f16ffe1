"""RMSprop and Adagrad as pure (init, update) pairs over NumPy or torch arrays."""

from __future__ import annotations

from typing import NamedTuple

from ._array import (
    Array,
    Hyperparameter,
    array_namespace,
    cast_like,
    cast_state,
    is_zero,
    lerp,
    zeros_like,
)
from ._rule_inputs import check_arrays, rule_inputs, signed_gradient
from ._validation import NON_NEGATIVE, UNIT_CLOSED, Flag, check_hyperparameters, check_populations

RMSPROP_TABLE = {
    "lr": NON_NEGATIVE,
    "alpha": UNIT_CLOSED,
    "eps": NON_NEGATIVE,
    "weight_decay": NON_NEGATIVE,
    "momentum": NON_NEGATIVE,
    "centered": Flag(),
    "maximize": Flag(),
}
ADAGRAD_TABLE = {
    "lr": NON_NEGATIVE,
    "lr_decay": NON_NEGATIVE,
    "weight_decay": NON_NEGATIVE,
    "initial_accumulator_value": NON_NEGATIVE,
    "eps": NON_NEGATIVE,
    "maximize": Flag(),
}


class RMSpropState(NamedTuple):
    """RMSprop's running averages: s of g², m of g (centered only), and momentum buffer b."""

    square_avg: Array
    grad_avg: Array | None = None
    momentum_buffer: Array | None = None


class AdagradState(NamedTuple):
    """Adagrad's sum of squared gradients and its step count."""

    sum: Array
    step: int = 0


def rmsprop_init(param: Array) -> RMSpropState:
    """The state of RMSprop for ``param``: s = 0 (m and b start at 0 when first needed).

    Args:
        param: The parameter array (NumPy or torch).

    Returns:
        The state.
    """
    check_arrays("rmsprop_init", param, param)
    return RMSpropState(zeros_like(param))


def rmsprop(
    param: Array,
    grad: Array,
    state: RMSpropState,
    *,
    lr: Hyperparameter = 1e-2,
    alpha: Hyperparameter = 0.99,
    eps: Hyperparameter = 1e-8,
    weight_decay: Hyperparameter = 0.0,
    momentum: Hyperparameter = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> tuple[Array, RMSpropState]:
    """One step of RMSprop (Hinton, Srivastava & Swersky 2012; centered form: Graves 2013).

    g ← ∇f(θ) + λθ;  s ← α s + (1 − α) g²;  centered: m ← α m + (1 − α) g, v ← s − m²,
    else v ← s;  u ← g / (√v + ε);  with momentum b ← μ b + u, θ ← θ − η b; else θ ← θ − η u.

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``rmsprop_init`` or the previous step.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        alpha: α in [0, 1], the decay of the running averages.
        eps: ε >= 0, added to the denominator.
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        momentum: μ >= 0; 0 for none.
        centered: Divide by the centered second moment s − m².
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state.
    """
    values = {
        "lr": lr,
        "alpha": alpha,
        "eps": eps,
        "weight_decay": weight_decay,
        "momentum": momentum,
        "centered": centered,
        "maximize": maximize,
    }
    h = rule_inputs("rmsprop", param, grad, values, RMSPROP_TABLE)
    state = cast_state(state, param)
    xp = array_namespace(param)
    g = signed_gradient(grad, maximize)
    if not is_zero(weight_decay):
        g = g + h["weight_decay"] * param
    decay = h["alpha"]
    square_avg = state.square_avg * decay + (1 - decay) * g * g
    grad_avg = state.grad_avg
    if centered:
        previous = zeros_like(param) if grad_avg is None else grad_avg
        grad_avg = lerp(previous, g, 1 - decay)
        denominator = xp.sqrt(square_avg - grad_avg * grad_avg) + h["eps"]
    else:
        denominator = xp.sqrt(square_avg) + h["eps"]
    if is_zero(momentum):
        new_param = param - h["lr"] * (g / denominator)
        return new_param, RMSpropState(square_avg, grad_avg, state.momentum_buffer)
    buffer = zeros_like(param) if state.momentum_buffer is None else state.momentum_buffer
    buffer = h["momentum"] * buffer + g / denominator
    return param - h["lr"] * buffer, RMSpropState(square_avg, grad_avg, buffer)


def adagrad_init(param: Array, initial_accumulator_value: Hyperparameter = 0.0) -> AdagradState:
    """The state of Adagrad for ``param``: the squared-gradient sum starts at the given value.

    Args:
        param: The parameter array (NumPy or torch).
        initial_accumulator_value: The sum's start, >= 0, a number or one per member.

    Returns:
        The state.
    """
    check_arrays("adagrad_init", param, param)
    values = {"initial_accumulator_value": initial_accumulator_value}
    check_hyperparameters("adagrad_init", values, ADAGRAD_TABLE)
    check_populations("adagrad_init", values, [tuple(param.shape)])
    start = cast_like(initial_accumulator_value, param)
    if start.ndim:
        start = start.reshape((start.shape[0],) + (1,) * (param.ndim - 1))
    return AdagradState(zeros_like(param) + start)


def adagrad(
    param: Array,
    grad: Array,
    state: AdagradState,
    *,
    lr: Hyperparameter = 1e-2,
    lr_decay: Hyperparameter = 0.0,
    weight_decay: Hyperparameter = 0.0,
    eps: Hyperparameter = 1e-10,
    maximize: bool = False,
) -> tuple[Array, AdagradState]:
    """One step of Adagrad (Duchi, Hazan & Singer 2011).

    t ← t + 1;  g ← ∇f(θ) + λθ;  η_t ← η / (1 + (t − 1) δ);  G ← G + g²;
    θ ← θ − η_t g / (√G + ε).

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``adagrad_init`` or the previous step.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        lr_decay: δ >= 0, the learning rate's decay per step.
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        eps: ε >= 0, added to the denominator.
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state.
    """
    values = {
        "lr": lr,
        "lr_decay": lr_decay,
        "weight_decay": weight_decay,
        "eps": eps,
        "maximize": maximize,
    }
    h = rule_inputs("adagrad", param, grad, values, ADAGRAD_TABLE)
    state = cast_state(state, param)
    xp = array_namespace(param)
    step = state.step + 1
    g = signed_gradient(grad, maximize)
    if not is_zero(weight_decay):
        g = g + h["weight_decay"] * param
    step_lr = h["lr"] / (1 + (step - 1) * h["lr_decay"])
    total = state.sum + g * g
    return param - step_lr * (g / (xp.sqrt(total) + h["eps"])), AdagradState(total, step)
