"""Model families trained as populations: Linear, Logistic, MLP and a small CNN.

A model is a description (its layers and defaults), never weights: ``params`` lists the shapes
of one member's weights, ``forward`` runs a whole population given weights with a leading
population axis. Keys of a config that change shapes (``hidden``, ``width``, ``depth``,
``channels``, ``activation``) give a resolved copy; members are grouped by it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch.nn.functional as F
from torch import Tensor

from tunesmith.population.layers import (
    ACTIVATIONS,
    Dropout,
    batched_conv,
    batched_linear,
    shared_conv,
    shared_linear,
)

__all__ = ["CNN", "MLP", "Linear", "Logistic", "Model", "ParamSpec"]

_TASKS = ("classification", "regression")


@dataclass(frozen=True)
class ParamSpec:
    """One member's weight: name, shape, fan-in, whether L1/L2 penalties apply, how it starts."""

    name: str
    shape: tuple[int, ...]
    fan_in: int
    penalized: bool
    init: str = "uniform"  # "uniform" (PyTorch's default) or "zeros"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _dense(index: int, n_in: int, n_out: int, init: str = "uniform") -> list[ParamSpec]:
    return [
        ParamSpec(f"dense{index}.weight", (n_out, n_in), n_in, True, init),
        ParamSpec(f"dense{index}.bias", (n_out,), n_in, False, init),
    ]


def _pooled(height: int, width: int) -> tuple[int, int]:
    """The size after 2×2 max-pooling; maps smaller than 2×2 are not pooled."""
    return (height // 2, width // 2) if min(height, width) >= 2 else (height, width)


def _bad(owner: str, name: str, rule: str, got: Any) -> ValueError:
    return ValueError(f"The {name!r} parameter of {owner} must be {rule}. Got {got!r} instead.")


def _widths(owner: str, name: str, value: Any, allow_empty: bool = True) -> tuple[int, ...]:
    """A tuple of layer widths from an int or a sequence of ints >= 1."""
    items = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    rule = "an int >= 1 or a sequence of ints >= 1"
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise _bad(owner, name, rule, value)
    if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in items):
        raise _bad(owner, name, rule, value)
    if not items and not allow_empty:
        raise _bad(owner, name, "a non-empty " + rule.split(" or ")[1], value)
    return tuple(int(w) for w in items)


class Model:
    """A model family; subclasses declare their layers, task and shape-changing config keys."""

    task: str = "classification"
    structure_keys: ClassVar[frozenset[str]] = frozenset()
    dropout: float = 0.0
    has_hidden: bool = False  # whether there are hidden units for dropout

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        """This model with a config's shape keys applied; itself when there are none."""
        return self

    def key(self) -> tuple:
        """What makes two members' weights the same shape (and their graph the same)."""
        return (type(self).__name__,)

    def input_shape(self, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The per-sample shape the forward pass takes, from the data's shape (n, ...)."""
        return (math.prod(x_shape[1:]),)

    def n_outputs(self, n_targets: int) -> int:
        """Output units for ``n_targets`` classes (classification) or target columns."""
        return n_targets

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        raise NotImplementedError

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        """Every member's outputs for the batch ``x`` (B, ...) as (P, outputs, B)."""
        raise NotImplementedError

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        """Floats of activations one member keeps per sample for the backward pass."""
        return 2 * n_outputs

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(self.key())


class Linear(Model):
    """Linear regression ŷ = W x + b, trained on the mean squared error.

    Dense weights are (out, in), as torch.nn.Linear keeps them.
    """

    task = "regression"

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        return _dense(0, input_shape[0], n_outputs, "zeros")

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        return shared_linear(x, w["dense0.weight"], w["dense0.bias"])


class Logistic(Linear):
    """Logistic regression: sigmoid with two classes, softmax (multinomial) with more.

    Parametrized as scikit-learn's LogisticRegression: one weight vector for two classes, one
    per class otherwise; with ``l2 = 1 / (2 C n_samples)`` and no other penalty the objective
    is scikit-learn's for inverse regularization strength C.
    """

    task = "classification"

    def n_outputs(self, n_targets: int) -> int:
        return 1 if n_targets == 2 else n_targets


class MLP(Model):
    """A multilayer perceptron: dense layers of widths ``hidden``, ``activation``, dropout."""

    structure_keys = frozenset({"hidden", "width", "depth", "activation"})
    has_hidden = True

    def __init__(
        self,
        hidden: int | Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        task: str = "classification",
    ):
        owner = type(self).__name__
        self.hidden = _widths(owner, "hidden", hidden)
        if activation not in ACTIVATIONS:
            raise _bad(owner, "activation", f"one of {sorted(ACTIVATIONS)}", activation)
        self.activation = activation
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise _bad(owner, "dropout", "a float in [0, 1)", dropout)
        if not 0 <= dropout < 1:
            raise _bad(owner, "dropout", "a float in [0, 1)", dropout)
        self.dropout = float(dropout)
        if task not in _TASKS:
            raise _bad(owner, "task", f"one of {list(_TASKS)}", task)
        self.task = task

    def _resolve_hidden(self, structure: Mapping[str, Any], where: str) -> tuple[int, ...]:
        if "hidden" in structure:
            return _widths(where, "hidden", structure["hidden"])
        width = structure.get("width", self.hidden[0] if self.hidden else 64)
        depth = structure.get("depth", len(self.hidden))
        for name, value, low in (("width", width, 1), ("depth", depth, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise _bad(where, name, f"an int >= {low}", value)
        return (int(width),) * int(depth)

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        if not structure:
            return self
        where = f"train (configs[{index}])"
        out = copy.copy(self)
        if {"hidden", "width", "depth"} & set(structure):
            out.hidden = self._resolve_hidden(structure, where)
        if "activation" in structure:
            if structure["activation"] not in ACTIVATIONS:
                raise _bad(where, "activation", f"one of {sorted(ACTIVATIONS)}", structure)
            out.activation = structure["activation"]
        return out

    def key(self) -> tuple:
        return (type(self).__name__, self.hidden, self.activation, self.task)

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        widths = (input_shape[0], *self.hidden, n_outputs)
        return [s for i in range(len(widths) - 1) for s in _dense(i, widths[i], widths[i + 1])]

    def _dense_stack(
        self, w: Mapping[str, Tensor], h: Tensor, dropout: Dropout | None, first: int, shared: bool
    ) -> Tensor:
        act = ACTIVATIONS[self.activation]
        last = first + len(self.hidden)
        for i in range(first, last + 1):
            layer = shared_linear if shared and i == first else batched_linear
            h = layer(h, w[f"dense{i}.weight"], w[f"dense{i}.bias"])
            if i < last:
                h = act(h)
                if dropout is not None:
                    h = dropout(h)
        return h

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        return self._dense_stack(w, x, dropout, 0, shared=True)

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        return 3 * sum(self.hidden) + 2 * n_outputs


class CNN(MLP):
    """A small convolutional network: [conv k×k (same) → activation → 2×2 max-pool] per entry
    of ``channels``, then dense layers ``hidden`` with dropout, then the output layer.

    Images come as (n, H, W), (n, C, H, W), or (n, H·W) with ``image_shape=(H, W)`` or a square
    H·W (scikit-learn's 8×8 digits as they load). Members are side by side on the channel axis:
    the first convolution is one ordinary convolution, later ones grouped by member.
    """

    structure_keys = frozenset({"channels", "hidden", "activation"})

    def __init__(
        self,
        channels: int | Sequence[int] = (8,),
        hidden: int | Sequence[int] = (32,),
        kernel_size: int = 3,
        activation: str = "relu",
        dropout: float = 0.0,
        image_shape: tuple[int, int] | None = None,
        task: str = "classification",
    ):
        super().__init__(hidden, activation, dropout, task)
        self.channels = _widths("CNN", "channels", channels, allow_empty=False)
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
            raise _bad("CNN", "kernel_size", "an odd int >= 1", kernel_size)
        if kernel_size % 2 == 0:
            raise _bad("CNN", "kernel_size", "an odd int >= 1", kernel_size)
        self.kernel_size = kernel_size
        if image_shape is not None:
            image_shape = _widths("CNN", "image_shape", image_shape, allow_empty=False)
            if len(image_shape) != 2:
                raise _bad("CNN", "image_shape", "a pair (height, width)", image_shape)
        self.image_shape = image_shape

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        out = super().resolve({k: v for k, v in structure.items() if k != "channels"}, index)
        if "channels" in structure:
            out = copy.copy(out)
            where = f"train (configs[{index}])"
            out.channels = _widths(where, "channels", structure["channels"], allow_empty=False)
        return out

    def key(self) -> tuple:
        return (*super().key(), self.channels, self.kernel_size)

    def input_shape(self, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(x_shape) == 4:
            return tuple(x_shape[1:])
        if len(x_shape) == 3:
            return (1, *x_shape[1:])
        if self.image_shape is not None:
            height, width = self.image_shape
            if height * width != x_shape[1]:
                raise _bad("train", "X", f"rows of {height}x{width} pixels for CNN", x_shape)
            return (1, height, width)
        side = math.isqrt(x_shape[1])
        if side * side != x_shape[1]:
            raise ValueError(
                f"The 'X' parameter of train must hold images for CNN: (n, H, W), (n, C, H, W), "
                f"or (n, H*W) with a square H*W or CNN(image_shape=...). Got shape {x_shape}."
            )
        return (1, side, side)

    def _feature_shapes(self, input_shape: tuple[int, ...]) -> list[tuple[int, int, int]]:
        """(channels, height, width) after each convolution, before its pooling."""
        _, height, width = input_shape
        shapes = []
        for c in self.channels:
            shapes.append((c, height, width))
            height, width = _pooled(height, width)
        return shapes

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        k = self.kernel_size
        specs, c_in = [], input_shape[0]
        for i, c in enumerate(self.channels):
            fan_in = c_in * k * k
            specs.append(ParamSpec(f"conv{i}.weight", (c, c_in, k, k), fan_in, True))
            specs.append(ParamSpec(f"conv{i}.bias", (c,), fan_in, False))
            c_in = c
        c, height, width = self._feature_shapes(input_shape)[-1]
        n_flat = c * math.prod(_pooled(height, width))
        widths = (n_flat, *self.hidden, n_outputs)
        dense = [s for i in range(len(widths) - 1) for s in _dense(i, widths[i], widths[i + 1])]
        return specs + dense

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        act = ACTIVATIONS[self.activation]
        h = x
        for i in range(len(self.channels)):
            conv = shared_conv if i == 0 else batched_conv
            h = act(conv(h, w[f"conv{i}.weight"], w[f"conv{i}.bias"]))
            if min(h.shape[-2:]) >= 2:
                h = F.max_pool2d(h, 2)
        members = w["conv0.weight"].shape[0]
        h = h.reshape(h.shape[0], members, -1).permute(1, 2, 0)  # (P, features, B)
        return self._dense_stack(w, h, dropout, 0, shared=False)

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        conv = sum(3 * c * h * w for c, h, w in self._feature_shapes(input_shape))
        return conv + super().activation_size(input_shape, n_outputs)
