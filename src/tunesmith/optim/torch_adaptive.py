"""torch.optim drop-ins for the adaptive rules (RMSprop, Adagrad), updating groups with foreach ops.

Each class follows the rule of the same name in ``tunesmith.optim.functional`` (the rules of
``_rules_adaptive``) and shares the conventions of ``tunesmith.optim.torch``: state keys match
torch.optim's, hyperparameters may be population arrays, and the switches torch.optim takes are
accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from ._rules_adaptive import ADAGRAD_TABLE, RMSPROP_TABLE
from ._torch_base import (
    HyperparameterLike,
    Params,
    Tensor,
    TunesmithOptimizer,
    add_scaled_,
    addcdiv_,
    addcmul_,
    advance_steps,
    as_real,
    elementwise,
    is_zero,
    new_step,
    per_tensor,
    signed_grads,
    square_roots,
    state_tensors,
    switches,
    torch,
    zeros,
)
from .torch_directions import decayed, negated, one_minus

__all__ = ["RMSprop", "Adagrad"]


class RMSprop(TunesmithOptimizer):
    """RMSprop (Hinton et al. 2012; centered per Graves 2013): the rule of functional.rmsprop.

    Ignores ``foreach`` and ``capturable``; ``differentiable`` must be False.

    Each numeric hyperparameter is one number or one value per population member (a list, NumPy
    array or 1-D tensor whose length is 1 or every parameter's leading axis).

    Args:
        params: The tensors to optimize, or param groups (dicts with ``params`` and any of
            the hyperparameters below, which then override the defaults for that group).
        lr: The learning rate, >= 0.
        alpha: The smoothing constant of the running average of squared gradients, in [0, 1].
        eps: The term added to the denominator, >= 0.
        weight_decay: The L2 penalty added to the gradient, >= 0.
        momentum: The momentum factor applied to the scaled step, >= 0.
        centered: Whether to divide by the running variance (squared average minus the squared
            average gradient) instead of the squared average.
        capturable: Accepted and ignored (a bool); steps are not graph-capturable.
        foreach: Accepted and ignored (None or a bool): the one foreach path runs.
        maximize: Whether to ascend the objective (the gradient's sign flipped).
        differentiable: Must be False: steps run outside autograd.

    Raises:
        ValueError: When a hyperparameter is outside its range, a population array's length
            does not match a parameter's leading axis, a switch is not a bool (or None),
            or ``differentiable`` is True.
    """

    hyperparameter_table = RMSPROP_TABLE

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-2,
        alpha: HyperparameterLike = 0.99,
        eps: HyperparameterLike = 1e-8,
        weight_decay: HyperparameterLike = 0.0,
        momentum: HyperparameterLike = 0.0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
            **switches(
                "RMSprop", capturable=capturable, foreach=foreach, differentiable=differentiable
            ),
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        reals = as_real(params)
        advance_steps(state_tensors(self, params, "step", new_step))
        grads = decayed(group, signed_grads(params, group["maximize"]), reals)
        alpha = per_tensor(group["alpha"], reals)
        square_avgs = state_tensors(self, params, "square_avg", zeros)
        torch._foreach_mul_(square_avgs, alpha)
        addcmul_(square_avgs, grads, grads, one_minus(alpha))
        if group["centered"]:
            grad_avgs = state_tensors(self, params, "grad_avg", zeros)
            torch._foreach_lerp_(grad_avgs, grads, one_minus(alpha))
            denominators = torch._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)
            torch._foreach_sqrt_(denominators)
        else:
            denominators = square_roots(self, params, square_avgs)
        torch._foreach_add_(denominators, per_tensor(group["eps"], reals))
        step = negated(per_tensor(group["lr"], reals))
        if is_zero(group["momentum"]):
            addcdiv_(reals, grads, denominators, step)
            return
        buffers = state_tensors(self, params, "momentum_buffer", zeros)
        torch._foreach_mul_(buffers, per_tensor(group["momentum"], reals))
        torch._foreach_addcdiv_(buffers, grads, denominators)
        add_scaled_(reals, buffers, step)


class Adagrad(TunesmithOptimizer):
    """Adagrad (Duchi, Hazan & Singer 2011): the rule of functional.adagrad.

    Ignores ``foreach`` and ``fused``; ``differentiable`` must be False.

    Each numeric hyperparameter is one number or one value per population member (a list, NumPy
    array or 1-D tensor whose length is 1 or every parameter's leading axis).

    Args:
        params: The tensors to optimize, or param groups (dicts with ``params`` and any of
            the hyperparameters below, which then override the defaults for that group).
        lr: The learning rate, >= 0.
        lr_decay: The learning-rate decay, >= 0: step t uses ``lr / (1 + (t - 1) * lr_decay)``.
        weight_decay: The L2 penalty added to the gradient, >= 0.
        initial_accumulator_value: The starting value of the sum of squared gradients, >= 0.
        eps: The term added to the denominator, >= 0.
        foreach: Accepted and ignored (None or a bool): the one foreach path runs.
        maximize: Whether to ascend the objective (the gradient's sign flipped).
        differentiable: Must be False: steps run outside autograd.
        fused: Accepted and ignored (None or a bool).

    Raises:
        ValueError: When a hyperparameter is outside its range, a population array's length
            does not match a parameter's leading axis, a switch is not a bool (or None),
            ``foreach`` and ``fused`` are both True, or ``differentiable`` is True.
    """

    hyperparameter_table = ADAGRAD_TABLE

    def __init__(
        self,
        params: Params,
        lr: HyperparameterLike = 1e-2,
        lr_decay: HyperparameterLike = 0.0,
        weight_decay: HyperparameterLike = 0.0,
        initial_accumulator_value: HyperparameterLike = 0.0,
        eps: HyperparameterLike = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
            **switches("Adagrad", foreach=foreach, differentiable=differentiable, fused=fused),
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        reals = as_real(params)
        steps = advance_steps(state_tensors(self, params, "step", new_step))
        grads = decayed(group, signed_grads(params, group["maximize"]), reals)

        def initial_sum(p: Tensor) -> Tensor:
            start = per_tensor(group["initial_accumulator_value"], [p])
            return zeros(p) + (start if isinstance(start, float) else start[0])

        sums = state_tensors(self, params, "sum", initial_sum)
        addcmul_(sums, grads, grads, 1.0)
        denominators = square_roots(self, params, sums)
        torch._foreach_add_(denominators, per_tensor(group["eps"], reals))
        lr = per_tensor(group["lr"], reals)
        lr_decay = per_tensor(group["lr_decay"], reals)
        step = elementwise(lambda a, d, t: -a / (1 + (t - 1) * d), lr, lr_decay, steps)
        addcdiv_(reals, grads, denominators, step)
