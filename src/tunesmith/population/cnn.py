"""A small convolutional network trained as a population (the dense layers are MLP's)."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor

from tunesmith.population.layers import ACTIVATIONS, Dropout, batched_conv, shared_conv
from tunesmith.population.models import MLP, Model, ParamSpec, dense_specs, layer_widths
from tunesmith.validation import param_error

__all__ = ["CNN"]


def _pooled(height: int, width: int) -> tuple[int, int]:
    """The size after 2×2 max-pooling; maps smaller than 2×2 are not pooled."""
    return (height // 2, width // 2) if min(height, width) >= 2 else (height, width)


class CNN(MLP):
    """A small convolutional network: [conv k×k (same) → activation → 2×2 max-pool] per entry
    of ``channels``, then dense layers ``hidden`` with dropout, then the output layer.

    Images come as (n, H, W), (n, C, H, W), or (n, H·W) with ``image_shape=(H, W)`` or a square
    H·W (scikit-learn's 8×8 digits as they load). Members are side by side on the channel axis:
    the first convolution is one ordinary convolution, later ones grouped by member.

    Args:
        channels: Output channels of each convolution (at least one).
        hidden: Widths of the dense layers after the convolutions.
        kernel_size: The convolutions' odd kernel size k.
        activation: One of "relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "silu".
        dropout: Dropout probability of the dense layers, in [0, 1).
        image_shape: (H, W) of images given as rows of H·W pixels; None for square ones.
        task: "classification" or "regression".

    Raises:
        ValueError: An argument breaks its rule; the message names it.
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
        self.channels = layer_widths("CNN", "channels", channels, allow_empty=False)
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
            raise param_error("CNN", "kernel_size", "an odd int >= 1", kernel_size)
        if kernel_size % 2 == 0:
            raise param_error("CNN", "kernel_size", "an odd int >= 1", kernel_size)
        self.kernel_size = kernel_size
        if image_shape is not None:
            image_shape = layer_widths("CNN", "image_shape", image_shape, allow_empty=False)
            if len(image_shape) != 2:
                raise param_error("CNN", "image_shape", "a pair (height, width)", image_shape)
        self.image_shape = image_shape

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        out = super().resolve({k: v for k, v in structure.items() if k != "channels"}, index)
        if "channels" in structure:
            out = copy.copy(out)
            where = f"train (configs[{index}])"
            out.channels = layer_widths(where, "channels", structure["channels"], allow_empty=False)
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
                raise param_error("train", "X", f"rows of {height}x{width} pixels for CNN", x_shape)
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
        sizes = (n_flat, *self.hidden, n_outputs)
        dense = [s for i in range(len(sizes) - 1) for s in dense_specs(i, sizes[i], sizes[i + 1])]
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
