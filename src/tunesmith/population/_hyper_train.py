"""Training unrolled as one pure function of the hyperparameters, differentiated forward.

The members' hyperparameters are the columns of one tensor H (P, K); ``validation_loss(H)``
trains every member from the seed's initial weights through the seed's minibatch order (as
``population.train`` does: mean training loss, L1/L2 penalty gradients l1 sign(W) + 2 l2 W on
penalized weights, one update rule per step) and returns each member's validation loss. The
update rules are the arithmetic of ``tunesmith.optim.functional`` (SGD with momentum, RMSprop,
Adam, weight decay coupled) written as pure torch functions. ``hypergradients`` takes the
Jacobian-vector product of that function along each hyperparameter's axis (forward mode over the
reverse-mode inner gradients, every tangent at once), so memory does not grow with the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor
from torch.func import grad, jvp, vmap

from tunesmith.population.data import TrainingData
from tunesmith.population.engine import initial_weights
from tunesmith.population.models import Model, ParamSpec
from tunesmith.population.weighting import mean_loss

__all__ = ["HYPER_NAMES", "Setup", "hypergradients", "make_setup", "validation_loss"]

_SHARED = ("weight_decay", "l1", "l2", "init_scale")
# optimizer -> the hyperparameters its training depends on (the columns of H, in this order)
HYPER_NAMES: dict[str, tuple[str, ...]] = {
    "sgd": ("lr", "momentum", *_SHARED),
    "momentum": ("lr", "momentum", *_SHARED),
    "rmsprop": ("lr", "alpha", "eps", "momentum", *_SHARED),
    "adam": ("lr", "beta1", "beta2", "eps", *_SHARED),
}


@dataclass(frozen=True)
class Setup:
    """What a training run holds fixed: model, data, the optimizer, epochs, start weights."""

    model: Model
    data: TrainingData
    optimizer: str
    epochs: int
    specs: tuple[ParamSpec, ...]
    base: Mapping[str, Tensor]  # one member's initial weights, before init_scale
    orders: tuple[Tensor, ...]  # each epoch's permutation of the training samples


def make_setup(model: Model, data: TrainingData, optimizer: str, epochs: int) -> Setup:
    """The fixed part of a run: initial weights and minibatch orders drawn from the seed."""
    specs = tuple(model.params(data.input_shape, data.n_outputs))
    start = initial_weights(specs, data.init_generator())
    base = {k: v.to(device=data.device, dtype=data.dtype) for k, v in start.items()}
    orders = tuple(data.order(epoch).to(data.device) for epoch in range(epochs))
    return Setup(model, data, optimizer, epochs, specs, base, orders)


def _column(value: Tensor, like: Tensor) -> Tensor:
    """A (P,) hyperparameter shaped to broadcast over a (P, ...) weight."""
    return value.reshape(-1, *([1] * (like.dim() - 1)))


def _hyper_column(hyper: Mapping[str, Tensor], like: Tensor, key: str) -> Tensor:
    """Hyperparameter ``key`` of every member, shaped to broadcast over the weight ``like``."""
    return _column(hyper[key], like)


def _sqrt(value: Tensor) -> Tensor:
    """√v, with derivative 0 where v = 0 (there v is 0 along every tangent: no gradient yet)."""
    positive = value > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, value, 1.0)), 0.0)


def _sgd(w: Tensor, g: Tensor, state: tuple, h: Callable, step: int) -> tuple[Tensor, tuple]:
    """SGD with heavy-ball momentum (Polyak 1964): b ← μ b + g (b = g first); θ ← θ − η b."""
    (buffer,) = state
    buffer = g if step == 1 else h("momentum") * buffer + g
    return w - h("lr") * buffer, (buffer,)


def _rmsprop(w: Tensor, g: Tensor, state: tuple, h: Callable, step: int) -> tuple[Tensor, tuple]:
    """RMSprop (Hinton et al. 2012): s ← α s + (1 − α) g²; b ← μ b + g / (√s + ε); θ ← θ − η b."""
    square_avg, buffer = state
    alpha = h("alpha")
    square_avg = square_avg * alpha + (1 - alpha) * g * g
    buffer = h("momentum") * buffer + g / (_sqrt(square_avg) + h("eps"))
    return w - h("lr") * buffer, (square_avg, buffer)


def _adam(w: Tensor, g: Tensor, state: tuple, h: Callable, step: int) -> tuple[Tensor, tuple]:
    """Adam (Kingma & Ba 2015): m ← lerp(m, g, 1 − β₁), v ← β₂ v + (1 − β₂) g²,
    θ ← θ − η (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε)."""
    exp_avg, exp_avg_sq = state
    beta1, beta2 = h("beta1"), h("beta2")
    exp_avg = torch.lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * g * g
    denominator = _sqrt(exp_avg_sq) / (1 - beta2**step) ** 0.5 + h("eps")
    return w - (h("lr") / (1 - beta1**step)) * (exp_avg / denominator), (exp_avg, exp_avg_sq)


_RULES = {"sgd": (_sgd, 1), "momentum": (_sgd, 1), "rmsprop": (_rmsprop, 2), "adam": (_adam, 2)}


def _batch_loss(setup: Setup, w: Mapping[str, Tensor], x: Tensor, y: Tensor) -> Tensor:
    """The members' mean training losses on one minibatch, summed (each gets its own gradient)."""
    return mean_loss(setup.data.task, setup.model.forward(w, x, None), y).sum()


def _step(
    setup: Setup, w: dict, state: dict, hyper: Mapping[str, Tensor], batch: tuple, step: int
) -> tuple[dict, dict]:
    """One minibatch step of every member: gradient, L1/L2 penalties, weight decay, the rule."""
    grads = grad(lambda weights: _batch_loss(setup, weights, *batch))(w)
    rule = _RULES[setup.optimizer][0]
    new_w, new_state = {}, {}
    for spec in setup.specs:
        name, weight = spec.name, w[spec.name]
        h = partial(_hyper_column, hyper, weight)
        g = grads[name]
        if spec.penalized:
            g = g + h("l1") * torch.sign(weight) + 2 * h("l2") * weight
        g = g + h("weight_decay") * weight
        new_w[name], new_state[name] = rule(weight, g, state[name], h, step)
    return new_w, new_state


def validation_loss(setup: Setup, H: Tensor) -> Tensor:
    """Each member's validation loss after training with hyperparameters H (P, K): the seed's
    start weights times ``init_scale``, every minibatch step of every epoch, the loss."""
    names = HYPER_NAMES[setup.optimizer]
    hyper = {name: H[:, i] for i, name in enumerate(names)}
    data = setup.data
    w = {
        name: _column(hyper["init_scale"], value.unsqueeze(0)) * value.unsqueeze(0)
        for name, value in setup.base.items()
    }
    slots = _RULES[setup.optimizer][1]
    state = {name: (torch.zeros_like(v),) * slots for name, v in w.items()}
    step = 0
    for order in setup.orders:
        x_all, y_all = data.X[order], data.y[order]
        for start in range(0, data.n, data.batch_size):
            batch = (x_all[start : start + data.batch_size], y_all[start : start + data.batch_size])
            step += 1
            w, state = _step(setup, w, state, hyper, batch, step)
    out = setup.model.forward(w, data.X_val, None)
    return mean_loss(data.task, out, data.y_val)


def hypergradients(setup: Setup, H: Tensor, wanted: Sequence[int]) -> tuple[Tensor, Tensor]:
    """Validation losses (P,) and their derivatives (P, len(wanted)) along the columns
    ``wanted`` of H, by forward-mode differentiation through the whole run (one tangent per
    column, batched)."""
    basis = torch.zeros(len(wanted), *H.shape, dtype=H.dtype, device=H.device)
    for row, column in enumerate(wanted):
        basis[row, :, column] = 1.0

    def along(tangent: Tensor) -> tuple[Tensor, Tensor]:
        return jvp(lambda h: validation_loss(setup, h), (H,), (tangent,))

    losses, derivatives = vmap(along)(basis)
    return losses[0], derivatives.T
