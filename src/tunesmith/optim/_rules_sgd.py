"""Gradient descent and SGD with momentum as pure (init, update) pairs over NumPy or torch."""

from __future__ import annotations

from typing import NamedTuple

from ._array import (
    Array,
    Hyperparameter,
    array_namespace,
    cast_state,
    copy_array,
    is_scalar,
    is_zero,
)
from ._rule_inputs import check_arrays, rule_inputs, signed_gradient
from ._validation import NON_NEGATIVE, UNIT_CLOSED, Flag, check_nesterov

GRADIENT_DESCENT_TABLE = {"lr": NON_NEGATIVE, "maximize": Flag()}
SGD_TABLE = {
    "lr": NON_NEGATIVE,
    "momentum": NON_NEGATIVE,
    "dampening": UNIT_CLOSED,
    "weight_decay": NON_NEGATIVE,
    "nesterov": Flag(),
    "maximize": Flag(),
}


class GradientDescentState(NamedTuple):
    """Plain gradient descent keeps no state."""


class SGDState(NamedTuple):
    """SGD's momentum buffer b; None until the first step that uses momentum."""

    momentum_buffer: Array | None = None


def gradient_descent_init(param: Array) -> GradientDescentState:
    """The (empty) state of plain gradient descent for ``param``.

    Args:
        param: The parameter array (NumPy or torch).

    Returns:
        The empty state.
    """
    check_arrays("gradient_descent_init", param, param)
    return GradientDescentState()


def gradient_descent(
    param: Array,
    grad: Array,
    state: GradientDescentState,
    *,
    lr: Hyperparameter = 1e-3,
    maximize: bool = False,
) -> tuple[Array, GradientDescentState]:
    """One step of plain gradient descent (Cauchy 1847).

    θ ← θ − η g, with g = ∇f(θ) (−∇f(θ) when maximizing).

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``gradient_descent_init``.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and the state.

    Examples:
        >>> import numpy as np
        >>> from tunesmith.optim.functional import gradient_descent, gradient_descent_init
        >>> theta = np.array([1.0, -2.0])
        >>> theta, state = gradient_descent(theta, 2 * theta, gradient_descent_init(theta), lr=0.25)
        >>> theta
        array([ 0.5, -1. ])
    """
    h = rule_inputs(
        "gradient_descent", param, grad, {"lr": lr, "maximize": maximize}, GRADIENT_DESCENT_TABLE
    )
    return param - h["lr"] * signed_gradient(grad, maximize), state


def sgd_init(param: Array) -> SGDState:
    """The state of SGD for ``param``: no momentum buffer until the first step.

    Args:
        param: The parameter array (NumPy or torch).

    Returns:
        The state, its momentum buffer None.
    """
    check_arrays("sgd_init", param, param)
    return SGDState()


def sgd(
    param: Array,
    grad: Array,
    state: SGDState,
    *,
    lr: Hyperparameter = 1e-3,
    momentum: Hyperparameter = 0.0,
    dampening: Hyperparameter = 0.0,
    weight_decay: Hyperparameter = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> tuple[Array, SGDState]:
    """One step of SGD with heavy-ball momentum (Polyak 1964), Nesterov as Sutskever et al. 2013.

    g ← ∇f(θ) + λθ;  b ← g on the first step, else μ b + (1 − τ) g;
    d ← g + μ b with Nesterov, else b (d ← g when μ = 0);  θ ← θ − η d.

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``sgd_init`` or the previous step.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        momentum: μ >= 0; 0 for plain SGD.
        dampening: τ in [0, 1].
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state.
    """
    values = {
        "lr": lr,
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": weight_decay,
        "nesterov": nesterov,
        "maximize": maximize,
    }
    h = rule_inputs("sgd", param, grad, values, SGD_TABLE)
    state = cast_state(state, param)
    check_nesterov("sgd", nesterov, momentum, dampening)
    g = signed_gradient(grad, maximize)
    if not is_zero(weight_decay):
        g = g + h["weight_decay"] * param
    direction, new_state = sgd_direction(g, state, h["momentum"], h["dampening"], nesterov)
    return param - h["lr"] * direction, new_state


def sgd_direction(
    g: Array, state: SGDState, momentum: float | Array, dampening: float | Array, nesterov: bool
) -> tuple[Array, SGDState]:
    """SGD's direction d for the signed, decayed gradient ``g``, and the advanced state.

    b ← g on the first step, else μ b + (1 − τ) g;  d ← g + μ b (Nesterov) or b;  d ← g if μ = 0.

    Args:
        g: The signed gradient with weight decay added.
        state: The momentum buffer so far.
        momentum: μ, a number or one per member.
        dampening: τ, a number or one per member.
        nesterov: Nesterov momentum.

    Returns:
        The direction d and the advanced state.
    """
    if is_zero(momentum):
        return g, state
    if state.momentum_buffer is None:
        buffer = copy_array(g)
    else:
        buffer = momentum * state.momentum_buffer + (1 - dampening) * g
    direction = g + momentum * buffer if nesterov else buffer
    if not is_scalar(momentum):
        direction = array_namespace(g).where(momentum != 0, direction, g)
    return direction, SGDState(buffer)
