"""Adam, AMSGrad and AdamW as pure (init, update) pairs over NumPy or torch arrays."""

from __future__ import annotations

from typing import NamedTuple

from ._array import Array, Hyperparameter, array_namespace, cast_state, is_zero, lerp, zeros_like
from ._rule_inputs import check_arrays, rule_inputs, signed_gradient
from ._validation import NON_NEGATIVE, UNIT_HALF_OPEN, Flag, Pair

ADAM_TABLE = {
    "lr": NON_NEGATIVE,
    "betas": Pair(UNIT_HALF_OPEN),
    "eps": NON_NEGATIVE,
    "weight_decay": NON_NEGATIVE,
    "amsgrad": Flag(),
    "maximize": Flag(),
}


class AdamState(NamedTuple):
    """Adam's step count t, moments m and v, and AMSGrad's running max of v (else None)."""

    step: int
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array | None = None


def adam_init(param: Array) -> AdamState:
    """The state of Adam and AdamW for ``param``: t = 0, m = v = 0.

    Args:
        param: The parameter array (NumPy or torch).

    Returns:
        The state, its moments zeros the shape of ``param``.
    """
    check_arrays("adam_init", param, param)
    return AdamState(0, zeros_like(param), zeros_like(param))


def adam_moments(
    g: Array, state: AdamState, betas: tuple, eps: float | Array, amsgrad: bool
) -> tuple[Array, Array, float | Array, AdamState]:
    """Advance Adam's state for the signed, decayed gradient ``g``; return m, √v̂ + ε, 1 − β₁ᵗ.

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  AMSGrad: v_max ← max(v_max, v), used for v;
    √v̂ + ε = √v / √(1 − β₂ᵗ) + ε.

    Args:
        g: The signed gradient with weight decay added.
        state: Adam's state so far.
        betas: (β₁, β₂), numbers or one per member.
        eps: ε, a number or one per member.
        amsgrad: Keep the running max of v and use it for v.

    Returns:
        m, √v̂ + ε, 1 − β₁ᵗ and the advanced state.
    """
    xp = array_namespace(g)
    beta1, beta2 = betas
    step = state.step + 1
    exp_avg = lerp(state.exp_avg, g, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
    max_exp_avg_sq = state.max_exp_avg_sq
    second = exp_avg_sq
    if amsgrad:
        previous = zeros_like(g) if max_exp_avg_sq is None else max_exp_avg_sq
        max_exp_avg_sq = xp.maximum(previous, exp_avg_sq)
        second = max_exp_avg_sq
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    denominator = xp.sqrt(second) / bias_correction2_sqrt + eps
    new_state = AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)
    return exp_avg, denominator, bias_correction1, new_state


def _adam_update(
    owner: str,
    param: Array,
    grad: Array,
    state: AdamState,
    values: dict,
    decoupled: bool,
) -> tuple[Array, AdamState]:
    h = rule_inputs(owner, param, grad, values, ADAM_TABLE)
    state = cast_state(state, param)
    g = signed_gradient(grad, values["maximize"])
    if not is_zero(values["weight_decay"]):
        if decoupled:
            param = param * (1 - h["lr"] * h["weight_decay"])
        else:
            g = g + h["weight_decay"] * param
    exp_avg, denominator, bias_correction1, new_state = adam_moments(
        g, state, h["betas"], h["eps"], values["amsgrad"]
    )
    return param - (h["lr"] / bias_correction1) * (exp_avg / denominator), new_state


def adam(
    param: Array,
    grad: Array,
    state: AdamState,
    *,
    lr: Hyperparameter = 1e-3,
    betas: tuple[Hyperparameter, Hyperparameter] = (0.9, 0.999),
    eps: Hyperparameter = 1e-8,
    weight_decay: Hyperparameter = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
) -> tuple[Array, AdamState]:
    """One step of Adam (Kingma & Ba 2015), AMSGrad variant of Reddi, Kale & Kumar 2018.

    g ← ∇f(θ) + λθ;  m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    (AMSGrad: v ← max(v_max, v));  θ ← θ − η (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε).

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``adam_init`` or the previous step.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, added to the denominator.
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        amsgrad: Use the running max of v (AMSGrad).
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state.

    Examples:
        >>> import numpy as np
        >>> from tunesmith.optim.functional import adam, adam_init
        >>> theta = np.array([1.0, -2.0])
        >>> state = adam_init(theta)
        >>> theta, state = adam(theta, 2 * theta, state, lr=0.1)
        >>> theta.round(3)
        array([ 0.9, -1.9])
    """
    values = {
        "lr": lr,
        "betas": betas,
        "eps": eps,
        "weight_decay": weight_decay,
        "amsgrad": amsgrad,
        "maximize": maximize,
    }
    return _adam_update("adam", param, grad, state, values, decoupled=False)


def adamw(
    param: Array,
    grad: Array,
    state: AdamState,
    *,
    lr: Hyperparameter = 1e-3,
    betas: tuple[Hyperparameter, Hyperparameter] = (0.9, 0.999),
    eps: Hyperparameter = 1e-8,
    weight_decay: Hyperparameter = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> tuple[Array, AdamState]:
    """One step of AdamW, Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    θ ← θ (1 − η λ);  then Adam's step on g = ∇f(θ) without the λθ term.

    Args:
        param: The parameter θ (NumPy or torch; a leading population axis P allowed).
        grad: ∇f(θ), the shape of ``param``.
        state: The state from ``adamw_init`` or the previous step.
        lr: Learning rate η >= 0, a number or one per member (shape (P,)).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, added to the denominator.
        weight_decay: λ >= 0, decoupled from the gradient.
        amsgrad: Use the running max of v (AMSGrad).
        maximize: Ascend instead of descend.

    Returns:
        The new parameter and state.
    """
    values = {
        "lr": lr,
        "betas": betas,
        "eps": eps,
        "weight_decay": weight_decay,
        "amsgrad": amsgrad,
        "maximize": maximize,
    }
    return _adam_update("adamw", param, grad, state, values, decoupled=True)
