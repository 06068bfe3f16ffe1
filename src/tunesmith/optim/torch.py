"""torch.optim drop-ins (SGD, RMSprop, Adam, AdamW, Adagrad) updating whole groups with foreach ops.

SGD, Adam and AdamW live here; RMSprop and Adagrad in ``torch_adaptive``, re-exported here.
Each class follows the rule of the same name in ``tunesmith.optim.functional``; the state keys
match torch.optim's, so state dicts move between the two. Hyperparameters may be population
arrays (a list, NumPy array or 1-D tensor), kept as float64 NumPy arrays so torch's lr
schedulers scale every member, and saved in ``state_dict()`` as Python lists.
Every class takes each keyword of the torch.optim class of the same name: the switches it names
are ignored (one foreach path, matching torch.optim's results under any of them; the step count
is read on the host, so ``capturable`` steps are not graph-capturable).
"""

from __future__ import annotations

from typing import Any

from ._rules_adam import ADAM_TABLE
from ._rules_sgd import SGD_TABLE
from ._torch_base import (
    HyperparameterLike,
    Params,
    Tensor,
    TunesmithOptimizer,
    add_scaled_,
    addcdiv_,
    as_real,
    elementwise,
    is_zero,
    per_tensor,
    signed_grads,
    square_roots,
    switches,
    torch,
)
from ._validation import Flag, check_nesterov
from .torch_adaptive import Adagrad, RMSprop
from .torch_directions import adam_moments, decayed, negated, sgd_directions

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"]


class SGD(TunesmithOptimizer):
    """SGD with momentum (Polyak 1964; Nesterov per Sutskever et al. 2013): functional.sgd.

    Ignores ``foreach`` and ``fused``; ``differentiable`` must be False.

    Each numeric hyperparameter is one number or one value per population member (a list, NumPy
    array or 1-D tensor whose length is 1 or every parameter's leading axis).

    Args:
        params: The tensors to optimize, or param groups (dicts with ``params`` and any of
            the hyperparameters below, which then override the defaults for that group).
        lr: The learning rate, >= 0.
        momentum: The momentum factor, >= 0; 0 for plain gradient descent.
        dampening: The share of the gradient left out of the momentum buffer, in [0, 1].
        weight_decay: The L2 penalty added to the gradient (``g + weight_decay * p``), >= 0.
        nesterov: Whether to use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: Whether to ascend the objective (the gradient's sign flipped).
        foreach: Accepted and ignored (None or a bool): the one foreach path runs.
        differentiable: Must be False: steps run outside autograd.
        fused: Accepted and ignored (None or a bool).

    Raises:
        ValueError: When a hyperparameter is outside its range, a population array's length
            does not match a parameter's leading axis, a switch is not a bool (or None),
            ``foreach`` and ``fused`` are both True, ``differentiable`` is True, or
            ``nesterov`` comes without momentum > 0 and dampening 0.
    """

    hyperparameter_table = SGD_TABLE

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-3,
        momentum: HyperparameterLike = 0.0,
        dampening: HyperparameterLike = 0.0,
        weight_decay: HyperparameterLike = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            **switches("SGD", foreach=foreach, differentiable=differentiable, fused=fused),
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        owner = type(self).__name__
        check_nesterov(owner, group["nesterov"], group["momentum"], group["dampening"])

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        reals = as_real(params)
        grads = decayed(group, signed_grads(params, group["maximize"]), reals)
        directions = sgd_directions(self, group, params, reals, grads)
        add_scaled_(reals, directions, negated(per_tensor(group["lr"], reals)))


class Adam(TunesmithOptimizer):
    """Adam (Kingma & Ba 2015) with AMSGrad (Reddi et al. 2018): the rule of functional.adam.

    Ignores ``foreach``, ``fused`` and ``capturable``; ``differentiable`` must be False.

    Each numeric hyperparameter is one number or one value per population member (a list, NumPy
    array or 1-D tensor whose length is 1 or every parameter's leading axis).

    Args:
        params: The tensors to optimize, or param groups (dicts with ``params`` and any of
            the hyperparameters below, which then override the defaults for that group).
        lr: The learning rate, >= 0.
        betas: The decay rates of the first and second moment averages, each in [0, 1).
        eps: The term added to the denominator, >= 0.
        weight_decay: The weight decay, >= 0: an L2 penalty added to the gradient, or with
            ``decoupled_weight_decay`` a shrink of the parameters by ``1 - lr * weight_decay``.
        amsgrad: Whether to divide by the running maximum of the second moment (AMSGrad).
        maximize: Whether to ascend the objective (the gradient's sign flipped).
        foreach: Accepted and ignored (None or a bool): the one foreach path runs.
        capturable: Accepted and ignored (a bool); steps are not graph-capturable.
        differentiable: Must be False: steps run outside autograd.
        fused: Accepted and ignored (None or a bool).
        decoupled_weight_decay: Whether to decay the parameters directly (the AdamW rule)
            instead of adding the penalty to the gradient.

    Raises:
        ValueError: When a hyperparameter is outside its range, a population array's length
            does not match a parameter's leading axis, a switch is not a bool (or None),
            ``foreach`` and ``fused`` are both True, or ``differentiable`` is True.
    """

    hyperparameter_table = {**ADAM_TABLE, "decoupled_weight_decay": Flag()}

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-3,
        betas: tuple[HyperparameterLike, HyperparameterLike] = (0.9, 0.999),
        eps: HyperparameterLike = 1e-8,
        weight_decay: HyperparameterLike = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        flags = {"capturable": capturable, "differentiable": differentiable, "fused": fused}
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
            **switches(type(self).__name__, foreach=foreach, **flags),
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        reals = as_real(params)
        lr = per_tensor(group["lr"], reals)
        grads = signed_grads(params, group["maximize"])
        if group["decoupled_weight_decay"]:
            if not is_zero(group["weight_decay"]):
                decay = per_tensor(group["weight_decay"], reals)
                torch._foreach_mul_(reals, elementwise(lambda a, b: 1 - a * b, lr, decay))
        else:
            grads = decayed(group, grads, reals)
        steps, exp_avgs, second = adam_moments(self, group, params, grads)
        beta1, beta2 = (per_tensor(beta, reals) for beta in group["betas"])
        # θ ← θ − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε), written with one pass fewer as
        # θ ← θ − η√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε√(1−β₂ᵗ)).
        correction2 = elementwise(lambda b, t: (1 - b**t) ** 0.5, beta2, steps)
        denominators = square_roots(self, params, second)
        eps = per_tensor(group["eps"], reals)
        torch._foreach_add_(denominators, elementwise(lambda e, c: e * c, eps, correction2))
        step = elementwise(lambda a, b, t, c: -a * c / (1 - b**t), lr, beta1, steps, correction2)
        if isinstance(step, list) and isinstance(step[0], Tensor):
            # per-member steps: fold them into the scratch denominators instead of scaling m
            torch._foreach_div_(denominators, step)
            step = 1.0
        addcdiv_(reals, exp_avgs, denominators, step)


class AdamW(Adam):
    """AdamW, Adam with decoupled weight decay (Loshchilov & Hutter 2019): functional.adamw.

    Ignores ``foreach``, ``fused`` and ``capturable``; ``differentiable`` must be False.

    Each numeric hyperparameter is one number or one value per population member (a list, NumPy
    array or 1-D tensor whose length is 1 or every parameter's leading axis).

    Args:
        params: The tensors to optimize, or param groups (dicts with ``params`` and any of
            the hyperparameters below, which then override the defaults for that group).
        lr: The learning rate, >= 0.
        betas: The decay rates of the first and second moment averages, each in [0, 1).
        eps: The term added to the denominator, >= 0.
        weight_decay: The decoupled weight decay, >= 0: each step first shrinks the
            parameters by ``1 - lr * weight_decay``.
        amsgrad: Whether to divide by the running maximum of the second moment (AMSGrad).
        maximize: Whether to ascend the objective (the gradient's sign flipped).
        foreach: Accepted and ignored (None or a bool): the one foreach path runs.
        capturable: Accepted and ignored (a bool); steps are not graph-capturable.
        differentiable: Must be False: steps run outside autograd.
        fused: Accepted and ignored (None or a bool).

    Raises:
        ValueError: When a hyperparameter is outside its range, a population array's length
            does not match a parameter's leading axis, a switch is not a bool (or None),
            ``foreach`` and ``fused`` are both True, or ``differentiable`` is True.
    """

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-3,
        betas: tuple[HyperparameterLike, HyperparameterLike] = (0.9, 0.999),
        eps: HyperparameterLike = 1e-8,
        weight_decay: HyperparameterLike = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        flags = {"capturable": capturable, "differentiable": differentiable, "fused": fused}
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            decoupled_weight_decay=True,
            **flags,
        )
