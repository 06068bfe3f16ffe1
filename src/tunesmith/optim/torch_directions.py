"""The update directions torch.py's optimizers share with the hypergradient ones.

``sgd_directions`` (SGD's momentum buffers) and ``adam_moments`` (Adam's t, m and v) advance an
optimizer's state for one step of a parameter group and return what the step is made of; the
small elementwise helpers take a hyperparameter that is a float or one value per tensor.
"""

from __future__ import annotations

from typing import Any

from ._torch_base import (
    Tensor,
    TunesmithOptimizer,
    add_scaled_,
    addcmul_,
    added_scaled,
    advance_steps,
    as_real,
    elementwise,
    is_zero,
    new_step,
    per_tensor,
    state_tensors,
    torch,
    zeros,
)

__all__ = ["adam_moments", "decayed", "negated", "one_minus", "sgd_directions"]


def negated(scale: Any) -> Any:
    """-s, for a float or one value per tensor."""
    return elementwise(lambda value: -value, scale)


def one_minus(scale: Any) -> Any:
    """1 - s, for a float or one value per tensor."""
    return elementwise(lambda value: 1 - value, scale)


def decayed(group: dict[str, Any], grads: list[Tensor], params: list[Tensor]) -> list[Tensor]:
    """g + λθ (the L2 term of coupled weight decay), or g itself when λ = 0."""
    if is_zero(group["weight_decay"]):
        return grads
    return added_scaled(grads, params, per_tensor(group["weight_decay"], params))


def _subset(scale: Any, indices: list[int]) -> Any:
    return [scale[i] for i in indices] if isinstance(scale, list) else scale


def sgd_directions(
    optimizer: TunesmithOptimizer,
    group: dict[str, Any],
    params: list[Tensor],
    reals: list[Tensor],
    grads: list[Tensor],
) -> list[Tensor]:
    """SGD's step directions d for ``grads`` (already signed and decayed), updating buffers.

    ``reals`` are the parameters as real views. A buffer starts as a copy of the first gradient
    (no dampening on the first step); afterwards b ← μ b + (1 − τ) g.
    """
    if is_zero(group["momentum"]):
        return grads
    momentum = per_tensor(group["momentum"], reals)
    states = [optimizer.state[p] for p in params]
    previous = [state.get("momentum_buffer") for state in states]
    existing = [index for index, buffer in enumerate(previous) if buffer is not None]
    if len(existing) < len(params):
        for index, (p, g) in enumerate(zip(params, grads, strict=True)):
            if previous[index] is None:
                fresh = g.clone()
                states[index]["momentum_buffer"] = (
                    torch.view_as_complex(fresh) if p.is_complex() else fresh
                )
    buffers = as_real([state["momentum_buffer"] for state in states])
    if existing:
        old = buffers if len(existing) == len(params) else [buffers[i] for i in existing]
        old_grads = grads if len(existing) == len(params) else [grads[i] for i in existing]
        torch._foreach_mul_(old, _subset(momentum, existing))
        one_minus_dampening = one_minus(per_tensor(group["dampening"], reals))
        add_scaled_(old, old_grads, _subset(one_minus_dampening, existing))
    directions = added_scaled(grads, buffers, momentum) if group["nesterov"] else buffers
    if isinstance(momentum, list):
        directions = [
            torch.where(m != 0, d, g) for m, d, g in zip(momentum, directions, grads, strict=True)
        ]
    return directions


def adam_moments(
    optimizer: TunesmithOptimizer, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]
) -> tuple[list[float], list[Tensor], list[Tensor]]:
    """Advance t, m and v (and AMSGrad's max of v); return t, m and the v to normalize by."""
    reals = as_real(params)
    beta1, beta2 = (per_tensor(beta, reals) for beta in group["betas"])
    steps = advance_steps(state_tensors(optimizer, params, "step", new_step))
    exp_avgs = state_tensors(optimizer, params, "exp_avg", zeros)
    exp_avg_sqs = state_tensors(optimizer, params, "exp_avg_sq", zeros)
    torch._foreach_lerp_(exp_avgs, grads, one_minus(beta1))
    torch._foreach_mul_(exp_avg_sqs, beta2)
    addcmul_(exp_avg_sqs, grads, grads, one_minus(beta2))
    if not group["amsgrad"]:
        return steps, exp_avgs, exp_avg_sqs
    maxima = state_tensors(optimizer, params, "max_exp_avg_sq", zeros)
    torch._foreach_maximum_(maxima, exp_avg_sqs)
    return steps, exp_avgs, maxima
