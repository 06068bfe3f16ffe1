"""SGD-HD and Adam-HD: rules that adapt their own learning rate by hypergradient descent."""

from __future__ import annotations

from typing import NamedTuple

from ._array import (
    Array,
    Hyperparameter,
    array_namespace,
    cast_like,
    cast_state,
    copy_array,
    is_scalar,
    is_zero,
    population_size,
    population_sum,
)
from ._rule_inputs import check_arrays, rule_inputs, signed_gradient
from ._rules_adam import ADAM_TABLE, AdamState, adam_init, adam_moments
from ._rules_sgd import SGD_TABLE, SGDState, sgd_direction
from ._validation import (
    NON_NEGATIVE,
    Bounds,
    Flag,
    check_hyperparameters,
    check_nesterov,
    check_populations,
)

HYPERGRADIENT_TABLE = {"hypergrad_lr": NON_NEGATIVE, "lr_bounds": Bounds()}
SGD_HD_TABLE = {**SGD_TABLE, **HYPERGRADIENT_TABLE}
ADAM_HD_TABLE = {**ADAM_TABLE, **HYPERGRADIENT_TABLE, "decoupled_weight_decay": Flag()}


class SGDHDState(NamedTuple):
    """SGD-HD's current learning rate η, previous direction d (None at first), SGD state."""

    lr: Array
    direction: Array | None
    sgd: SGDState


class AdamHDState(NamedTuple):
    """Adam-HD's current learning rate η, previous direction d (None at first), Adam state."""

    lr: Array
    direction: Array | None
    adam: AdamState


def _initial_lr(owner: str, param: Array, lr: Hyperparameter) -> Array:
    check_arrays(owner, param, param)
    check_hyperparameters(owner, {"lr": lr}, {"lr": NON_NEGATIVE})
    check_populations(owner, {"lr": lr}, [tuple(param.shape)])
    return cast_like(lr, param)


def hypergradient_lr(
    lr: Array,
    g: Array,
    previous_direction: Array | None,
    hypergrad_lr: Hyperparameter,
    lr_bounds: tuple[float, float] | None,
) -> Array:
    """The new learning rate η ← clip(η + β g·d_prev) (Baydin et al. 2018, eq. 3).

    θ_{t−1} = θ_{t−2} − η d_prev gives ∂f(θ_{t−1})/∂η = −g·d_prev, so descending on η adds
    β g·d_prev; the dot product runs over every axis but the population axis of ``lr``.

    Args:
        lr: The current learning rate η (one per member with a population axis).
        g: The gradient at the current parameter.
        previous_direction: The previous step's direction d_prev; None on the first step.
        hypergrad_lr: β, the hypergradient learning rate.
        lr_bounds: (low, high) that η is clipped to; None for no clip.

    Returns:
        The new learning rate (``lr`` itself on the first step).
    """
    if previous_direction is not None:
        size = population_size(lr)
        if size is None:
            size = population_size(hypergrad_lr)
        if not is_scalar(hypergrad_lr):
            hypergrad_lr = cast_like(hypergrad_lr, lr)
        lr = lr + hypergrad_lr * population_sum(g * previous_direction, size)
    if lr_bounds is not None:
        lr = array_namespace(lr).clip(lr, lr_bounds[0], lr_bounds[1])
    return lr


def _broadcast_lr(lr: Array, param: Array) -> Array:
    return lr if lr.ndim == 0 else lr.reshape((lr.shape[0],) + (1,) * (param.ndim - 1))


def sgd_hd_init(param: Array, lr: Hyperparameter = 1e-3) -> SGDHDState:
    """The state of SGD-HD for ``param``, starting from learning rate ``lr``.

    Args:
        param: The parameter array (NumPy or torch).
        lr: The first learning rate, a number or one per member.

    Returns:
        The state.
    """
    return SGDHDState(_initial_lr("sgd_hd_init", param, lr), None, SGDState())


def sgd_hd(
    param: Array,
    grad: Array,
    state: SGDHDState,
    *,
    hypergrad_lr: Hyperparameter = 1e-2,
    lr_bounds: tuple[float, float] | None = None,
    momentum: Hyperparameter = 0.0,
    dampening: Hyperparameter = 0.0,
    weight_decay: Hyperparameter = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> tuple[Array, SGDHDState]:
    """One step of SGD-HD (Baydin et al. 2018, "Online Learning Rate Adaptation with HD").

    g ← ∇f(θ) + λθ;  η ← clip(η + β g·d_prev);  d ← SGD's (momentum) direction;  θ ← θ − η d.
    β = ``hypergrad_lr``; tunesmith.optim.hypergradient says how its default was chosen.

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``sgd_hd_init`` (which holds η) or the previous step.
        hypergrad_lr: β >= 0, the hypergradient learning rate.
        lr_bounds: (low, high) that η is clipped to; None for no clip.
        momentum: μ >= 0; 0 for plain SGD.
        dampening: τ in [0, 1].
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        nesterov: Nesterov momentum.
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state (with the adapted η).
    """
    values = {
        "hypergrad_lr": hypergrad_lr,
        "lr_bounds": lr_bounds,
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": weight_decay,
        "nesterov": nesterov,
        "maximize": maximize,
    }
    h = rule_inputs("sgd_hd", param, grad, values, SGD_HD_TABLE)
    state = cast_state(state, param)
    check_nesterov("sgd_hd", nesterov, momentum, dampening)
    g = signed_gradient(grad, maximize)
    if not is_zero(weight_decay):
        g = g + h["weight_decay"] * param
    lr = hypergradient_lr(state.lr, g, state.direction, hypergrad_lr, lr_bounds)
    direction, sgd_state = sgd_direction(g, state.sgd, h["momentum"], h["dampening"], nesterov)
    new_param = param - _broadcast_lr(lr, param) * direction
    return new_param, SGDHDState(lr, copy_array(direction), sgd_state)


def adam_hd_init(param: Array, lr: Hyperparameter = 1e-3) -> AdamHDState:
    """The state of Adam-HD for ``param``, starting from learning rate ``lr``.

    Args:
        param: The parameter array (NumPy or torch).
        lr: The first learning rate, a number or one per member.

    Returns:
        The state.
    """
    return AdamHDState(_initial_lr("adam_hd_init", param, lr), None, adam_init(param))


def adam_hd(
    param: Array,
    grad: Array,
    state: AdamHDState,
    *,
    hypergrad_lr: Hyperparameter = 1e-5,
    lr_bounds: tuple[float, float] | None = None,
    betas: tuple[Hyperparameter, Hyperparameter] = (0.9, 0.999),
    eps: Hyperparameter = 1e-8,
    weight_decay: Hyperparameter = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> tuple[Array, AdamHDState]:
    """One step of Adam-HD (Baydin et al. 2018, "Online Learning Rate Adaptation with HD").

    g ← ∇f(θ) (+ λθ unless decoupled);  η ← clip(η + β g·d_prev);
    d ← m̂ / (√v̂ + ε) (+ λθ when decoupled);  θ ← θ − η d.
    β = ``hypergrad_lr``; tunesmith.optim.hypergradient says how its default was chosen.

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``adam_hd_init`` (which holds η) or the previous step.
        hypergrad_lr: β >= 0, the hypergradient learning rate.
        lr_bounds: (low, high) that η is clipped to; None for no clip.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, added to the denominator.
        weight_decay: λ >= 0.
        amsgrad: Use the running max of v (AMSGrad).
        decoupled_weight_decay: Add λθ to the direction instead of the gradient.
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state (with the adapted η).
    """
    values = {
        "hypergrad_lr": hypergrad_lr,
        "lr_bounds": lr_bounds,
        "betas": betas,
        "eps": eps,
        "weight_decay": weight_decay,
        "amsgrad": amsgrad,
        "decoupled_weight_decay": decoupled_weight_decay,
        "maximize": maximize,
    }
    h = rule_inputs("adam_hd", param, grad, values, ADAM_HD_TABLE)
    state = cast_state(state, param)
    g = signed_gradient(grad, maximize)
    decays = not is_zero(weight_decay)
    if decays and not decoupled_weight_decay:
        g = g + h["weight_decay"] * param
    lr = hypergradient_lr(state.lr, g, state.direction, hypergrad_lr, lr_bounds)
    exp_avg, denominator, bias_correction1, adam_state = adam_moments(
        g, state.adam, h["betas"], h["eps"], amsgrad
    )
    direction = (exp_avg / bias_correction1) / denominator
    if decays and decoupled_weight_decay:
        direction = direction + h["weight_decay"] * param
    new_param = param - _broadcast_lr(lr, param) * direction
    return new_param, AdamHDState(lr, direction, adam_state)
