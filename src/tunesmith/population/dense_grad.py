"""Forward and backward passes of dense stacks written out by hand, for the population engine.

For Linear, Logistic and MLPs whose activation's derivative follows from its output (relu,
tanh, sigmoid), a training step needs no autograd graph: the forward pass keeps each layer's
input and the gate act′·mask of each hidden layer, the loss gradient is closed-form
(softmax − one-hot, sigmoid − y, or 2 (ŷ − y)), and each layer's weight and bias gradients
are written straight into the population's flat gradient. A test holds every gradient equal
to autograd's. Other models and activations go through autograd.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from tunesmith.population.layers import Dropout
from tunesmith.population.models import MLP, Linear, Logistic, Model

__all__ = ["Workspace", "dense_step", "supports_manual_gradients"]

_GATED = ("relu", "tanh", "sigmoid")  # derivative computable from the activation's output


def supports_manual_gradients(model: Model) -> bool:
    """Whether ``dense_step`` computes this model's gradients (else autograd does)."""
    if type(model) is MLP:  # a subclass may change the forward pass: autograd follows it
        return model.activation in _GATED
    return type(model) in (Linear, Logistic)


class Workspace:
    """Work arrays reused from step to step, one per role and shape.

    A fresh array of a few MiB costs page faults each time it is first written, which for
    these element-wise passes costs as much as the arithmetic; reusing them removes it.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple, Tensor] = {}

    def get(self, role: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
        key = (role, shape, like.dtype, like.device)
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return array


def _gate(h: Tensor, activation: str, out: Tensor) -> Tensor:
    """Apply the activation to ``h`` in place; write its derivative, as a function of the
    output, into ``out``."""
    if activation == "relu":
        return torch.sign(h.relu_(), out=out)  # 1 where positive, else 0
    if activation == "tanh":
        h.tanh_()
        return torch.mul(h, h, out=out).neg_().add_(1.0)  # 1 − tanh²
    h.sigmoid_()
    return torch.addcmul(h, h, h, value=-1.0, out=out)  # σ (1 − σ)


def _loss_and_gradient(task: str, out: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Each member's mean loss over the batch and d loss_p / d out, from outputs (P, K, B)."""
    members, n_out, batch = out.shape
    if task == "regression":
        diff = out - target.T
        loss = diff.square().mean(dim=(1, 2))
        return loss, diff.mul_(2.0 / (n_out * batch))
    if n_out == 1:
        labels = target.to(out.dtype).expand(members, -1)
        loss = F.binary_cross_entropy_with_logits(out[:, 0], labels, reduction="none").mean(1)
        return loss, torch.sigmoid(out).sub_(labels.unsqueeze(1)).div_(batch)
    log_probs = out.log_softmax(dim=1)
    picked = log_probs.gather(1, target.expand(members, 1, -1))
    loss = picked.mean(dim=(1, 2)).neg_()
    grad = log_probs.exp_()
    grad.scatter_add_(1, target.expand(members, 1, -1), torch.full_like(picked, -1.0))
    return loss, grad.div_(batch)


def dense_step(
    model: Model,
    weights: Mapping[str, Tensor],
    grads: Mapping[str, Tensor],
    x: Tensor,
    target: Tensor,
    dropout: Dropout | None,
    work: Workspace | None = None,
) -> Tensor:
    """One forward and backward pass of a dense stack for every member.

    ``weights`` and ``grads`` map each parameter name to a (P, ...) tensor; the gradient of
    each member's mean batch loss is written into ``grads``; ``work`` keeps the work arrays
    between calls. Returns the losses (P,).
    """
    hidden = model.hidden if isinstance(model, MLP) else ()
    work = Workspace() if work is None else work
    widths = (x.shape[1], *hidden, weights[f"dense{len(hidden)}.weight"].shape[1])
    activation = getattr(model, "activation", "relu")
    h, inputs, gates = _forward(weights, x, widths, activation, dropout, work)
    loss, d_out = _loss_and_gradient(model.task, h, target)
    _backward(weights, grads, x, d_out, widths, inputs, gates, work)
    return loss


def _forward(
    weights: Mapping[str, Tensor],
    x: Tensor,
    widths: tuple[int, ...],
    activation: str,
    dropout: Dropout | None,
    work: Workspace,
) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """The outputs (P, out, B), each layer's input and each hidden layer's gate."""
    members, batch, n_hidden = weights["dense0.weight"].shape[0], x.shape[0], len(widths) - 2
    inputs, gates = [], []
    h = work.get("x", (widths[0], batch), x).copy_(x.T)  # (in, B), shared by every member
    for i in range(n_hidden + 1):
        inputs.append(h)
        weight, bias = weights[f"dense{i}.weight"], weights[f"dense{i}.bias"]
        out = work.get(f"h{i}", (members, widths[i + 1], batch), x)
        if i == 0:  # one product of the members' stacked weights with the shared input
            stacked = work.get("w0", (members, widths[1], widths[0]), x).copy_(weight)
            torch.addmm(
                bias.reshape(-1, 1), stacked.view(-1, widths[0]), h, out=out.view(-1, batch)
            )
        else:
            torch.baddbmm(bias.unsqueeze(2), weight, h, out=out)
        h = out
        if i < n_hidden:
            gate = _gate(h, activation, work.get(f"gate{i}", tuple(h.shape), x))
            if dropout is not None:
                mask = dropout.mask(tuple(h.shape[1:]), h, out=work.get(f"mask{i}", h.shape, x))
                h.mul_(mask)
                gate.mul_(mask)
            gates.append(gate)
    return h, inputs, gates


def _backward(
    weights: Mapping[str, Tensor],
    grads: Mapping[str, Tensor],
    x: Tensor,
    d_out: Tensor,
    widths: tuple[int, ...],
    inputs: list[Tensor],
    gates: list[Tensor],
    work: Workspace,
) -> None:
    """Write every layer's weight and bias gradients into ``grads``, last layer first."""
    members, batch = d_out.shape[0], x.shape[0]
    for i in range(len(widths) - 2, -1, -1):
        d_weight = work.get(f"dw{i}", (members, widths[i + 1], widths[i]), x)
        if i == 0:
            torch.mm(d_out.reshape(-1, batch), x, out=d_weight.view(-1, widths[0]))
        else:
            torch.bmm(d_out, inputs[i].transpose(1, 2), out=d_weight)
        grads[f"dense{i}.weight"].copy_(d_weight)
        torch.sum(d_out, dim=2, out=grads[f"dense{i}.bias"])
        if i > 0:
            back = work.get(f"d{i - 1}", (members, widths[i], batch), x)
            d_out = torch.bmm(weights[f"dense{i}.weight"].transpose(1, 2), d_out, out=back)
            d_out.mul_(gates[i - 1])
