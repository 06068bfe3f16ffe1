"""SGDHD and AdamHD: torch optimizers that tune their own learning rate by hypergradient descent.

Baydin, Cornish, Martínez Rubio, Schmidt & Wood 2018, "Online Learning Rate Adaptation with
Hypergradient Descent". Each step first moves the learning rate along the hypergradient,
η ← clip(η + β g·d_prev), then takes the base rule's step θ ← θ − η d. The current rate is
``param_groups[i]["lr"]``, rewritten every step (a float, or the population array it was given).

Picking ``hypergrad_lr`` (β): the rate moves by β·(g·d_prev) a step, a dot product summed over
every parameter, so β depends on the model's size and gradient scale. The defaults come from
benchmarks/hypergradient_sweep.py (an MLP on digits, starting rates 1e-4 to 0.3): 1e-5 for
Adam-HD, whose d is normalized, and 1e-2 for SGD-HD. To choose one for a new model, run a few
hundred steps from a small rate with β in {1e-7, ..., 1e-3} (Adam-HD) or {1e-4, ..., 1e-1}
(SGD-HD) and keep the largest β whose rate settles instead of growing without end.

A too-large rate comes down as the paper's rule says: overshooting turns g·d_prev negative.
The pull down is weaker than the push up, since the products of noisy or oscillating steps
partly cancel (on digits Adam-HD took 0.3 only to 0.29 with β = 1e-4 in 10 epochs), so start
from a small rate rather than a large one, and pass ``lr_bounds=(0, max)`` to cap the rate
and keep it from crossing zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._rules_hypergradient import ADAM_HD_TABLE, SGD_HD_TABLE
from ._torch_base import (
    HyperparameterLike,
    Params,
    Tensor,
    TunesmithOptimizer,
    add_scaled_,
    as_real,
    elementwise,
    is_zero,
    per_tensor,
    signed_grads,
    state_tensors,
    switches,
    torch,
    zeros,
)
from ._validation import check_nesterov
from .torch_directions import adam_moments, decayed, sgd_directions


def _ndim(value: Any) -> int:
    return value.ndim if hasattr(value, "ndim") else np.ndim(value)


class _HypergradientOptimizer(TunesmithOptimizer):
    """Shared hypergradient step: update group["lr"], then θ ← θ − η d, remembering d."""

    def _directions(self, group: dict[str, Any], params: list[Tensor]) -> tuple[list, list]:
        raise NotImplementedError

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        reals = as_real(params)
        grads, directions = self._directions(group, params)
        group["lr"] = self._adapted_lr(group, params, grads)
        add_scaled_(reals, directions, elementwise(lambda a: -a, per_tensor(group["lr"], reals)))
        previous = state_tensors(self, params, "previous_direction", zeros)
        torch._foreach_copy_(previous, directions)

    def _adapted_lr(self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor]) -> Any:
        lr = group["lr"]
        if _ndim(lr) == 0 and _ndim(group["hypergrad_lr"]) == 1:
            lr = np.full(len(group["hypergrad_lr"]), float(lr))
        pairs = [
            (g, as_real([self.state[p]["previous_direction"]])[0])
            for p, g in zip(params, grads, strict=True)
            if "previous_direction" in self.state[p]
        ]
        if pairs:
            lr = lr + group["hypergrad_lr"] * self._dot(lr, pairs)
        if group["lr_bounds"] is not None:
            lr = (
                np.clip(lr, *group["lr_bounds"])
                if not isinstance(lr, Tensor)
                else lr.clamp(*group["lr_bounds"])
            )
        return float(lr) if _ndim(lr) == 0 and not isinstance(lr, Tensor) else lr

    @staticmethod
    def _dot(lr: Any, pairs: list[tuple[Tensor, Tensor]]) -> Any:
        """g·d_prev summed over the group, per population member when ``lr`` is an array."""
        if _ndim(lr) == 0:
            return sum(torch.vdot(g.reshape(-1), d.reshape(-1)) for g, d in pairs).item()
        size = len(lr)
        total = sum((g * d).reshape(size, -1).sum(1) for g, d in pairs)
        if isinstance(lr, Tensor):
            return total.to(device=lr.device, dtype=lr.dtype)
        return total.double().cpu().numpy()


class SGDHD(_HypergradientOptimizer):
    """SGD-HD: SGD with momentum whose lr follows its hypergradient (functional.sgd_hd).

    Accepts every keyword of SGD; ``foreach`` and ``fused`` are ignored, ``differentiable``
    must be False. ``hypergrad_lr``: see the module docstring.

    Args:
        params: The tensors to optimize, or param-group dicts.
        lr: The first learning rate η, a number or one per population member.
        hypergrad_lr: β, the hypergradient learning rate (default 1e-2).
        momentum: μ >= 0; 0 for plain SGD.
        dampening: τ in [0, 1].
        weight_decay: λ >= 0 (L2 penalty added to the gradient).
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        lr_bounds: (low, high) that η is clipped to; None for no clip.
        maximize: Ascend instead of descend.
        foreach: Accepted and ignored (None or a bool).
        differentiable: Must be False.
        fused: Accepted and ignored (None or a bool; not with ``foreach=True``).

    Raises:
        ValueError: A hyperparameter breaks its rule; the message names it.

    Examples:
        >>> import torch
        >>> from tunesmith.optim import SGDHD
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = SGDHD(model.parameters(), lr=0.01, momentum=0.9, lr_bounds=(0.0, 0.1))
        >>> model(torch.ones(2, 3)).pow(2).mean().backward()
        >>> opt.step()
    """

    hyperparameter_table = SGD_HD_TABLE

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-3,
        hypergrad_lr: HyperparameterLike = 1e-2,
        momentum: HyperparameterLike = 0.0,
        dampening: HyperparameterLike = 0.0,
        weight_decay: HyperparameterLike = 0.0,
        nesterov: bool = False,
        *,
        lr_bounds: tuple[float, float] | None = None,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "hypergrad_lr": hypergrad_lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "lr_bounds": lr_bounds,
            "maximize": maximize,
            **switches("SGDHD", foreach=foreach, differentiable=differentiable, fused=fused),
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        owner = type(self).__name__
        check_nesterov(owner, group["nesterov"], group["momentum"], group["dampening"])

    def _directions(self, group: dict[str, Any], params: list[Tensor]) -> tuple[list, list]:
        reals = as_real(params)
        grads = decayed(group, signed_grads(params, group["maximize"]), reals)
        return grads, sgd_directions(self, group, params, reals, grads)


class AdamHD(_HypergradientOptimizer):
    """Adam-HD: Adam whose learning rate follows its hypergradient (functional.adam_hd).

    Accepts every keyword of Adam; ``foreach``, ``fused`` and ``capturable`` are ignored,
    ``differentiable`` must be False. ``hypergrad_lr``: see the module docstring.

    Args:
        params: The tensors to optimize, or param-group dicts.
        lr: The first learning rate η, a number or one per population member.
        hypergrad_lr: β, the hypergradient learning rate (default 1e-5).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, added to the denominator.
        weight_decay: λ >= 0.
        amsgrad: Use the running max of v (AMSGrad).
        lr_bounds: (low, high) that η is clipped to; None for no clip.
        decoupled_weight_decay: Add λθ to the direction instead of the gradient.
        maximize: Ascend instead of descend.
        foreach: Accepted and ignored (None or a bool).
        capturable: Accepted and ignored.
        differentiable: Must be False.
        fused: Accepted and ignored (None or a bool; not with ``foreach=True``).

    Raises:
        ValueError: A hyperparameter breaks its rule; the message names it.

    Examples:
        >>> import torch
        >>> from tunesmith.optim import AdamHD
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = AdamHD(model.parameters(), lr=1e-3, lr_bounds=(0.0, 0.1))
        >>> model(torch.ones(2, 3)).pow(2).mean().backward()
        >>> opt.step()
        >>> 0.0 <= opt.param_groups[0]["lr"] <= 0.1
        True
    """

    hyperparameter_table = ADAM_HD_TABLE

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-3,
        hypergrad_lr: HyperparameterLike = 1e-5,
        betas: tuple[HyperparameterLike, HyperparameterLike] = (0.9, 0.999),
        eps: HyperparameterLike = 1e-8,
        weight_decay: HyperparameterLike = 0.0,
        amsgrad: bool = False,
        *,
        lr_bounds: tuple[float, float] | None = None,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        flags = {"capturable": capturable, "differentiable": differentiable, "fused": fused}
        defaults = {
            "lr": lr,
            "hypergrad_lr": hypergrad_lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "lr_bounds": lr_bounds,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            **switches("AdamHD", foreach=foreach, **flags),
        }
        super().__init__(params, defaults)

    def _directions(self, group: dict[str, Any], params: list[Tensor]) -> tuple[list, list]:
        reals = as_real(params)
        grads = signed_grads(params, group["maximize"])
        decoupled = group["decoupled_weight_decay"]
        if not decoupled:
            grads = decayed(group, grads, reals)
        steps, exp_avgs, second = adam_moments(self, group, params, grads)
        beta1, beta2 = (per_tensor(beta, reals) for beta in group["betas"])
        correction1 = elementwise(lambda b, t: 1 - b**t, beta1, steps)
        correction2 = elementwise(lambda b, t: (1 - b**t) ** 0.5, beta2, steps)
        denominators = torch._foreach_sqrt(second)
        torch._foreach_div_(denominators, correction2)
        torch._foreach_add_(denominators, per_tensor(group["eps"], reals))
        directions = torch._foreach_div(exp_avgs, correction1)
        torch._foreach_div_(directions, denominators)
        if decoupled and not is_zero(group["weight_decay"]):
            add_scaled_(directions, reals, per_tensor(group["weight_decay"], reals))
        return grads, directions
