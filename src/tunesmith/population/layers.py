"""Batched layers: every weight has a leading population axis P; activations are feature-major.

Dense activations are (P, features, B) and dense weights (P, out, in): a layer is W_p h_p, so
no product transposes anything, and the loss reduces over classes along a contiguous batch
axis. A layer whose input is shared by all members (the data itself) runs as one wide product
over the members' weights stacked; later layers run as batched products, member by member.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "ACTIVATIONS",
    "Dropout",
    "batched_conv",
    "batched_linear",
    "shared_conv",
    "shared_linear",
    "uniform_init",
]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "elu": F.elu,
    "leaky_relu": F.leaky_relu,
    "silu": F.silu,
}


def uniform_init(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> Tensor:
    """U(−1/√fan_in, 1/√fan_in): PyTorch's default for Linear and Conv2d weights and biases."""
    bound = 1.0 / max(fan_in, 1) ** 0.5
    return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound


def shared_linear(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """W_p xᵀ + b_p for every member p, with one input x (B, in) shared by all: (P, out, B).

    weight (P, out, in) as torch.nn.Linear keeps it, bias (P, out); runs as one product of the
    members' weights stacked, (P·out, in), with xᵀ.
    """
    members, n_out, n_in = weight.shape
    out = torch.addmm(bias.reshape(members * n_out, 1), weight.reshape(-1, n_in), x.T)
    return out.view(members, n_out, x.shape[0])


def batched_linear(h: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """W_p h_p + b_p for every member p: (P, in, B) with weights (P, out, in) → (P, out, B)."""
    return torch.baddbmm(bias.unsqueeze(2), weight, h)


def shared_conv(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Same-padded convolution of one input (B, C, H, W) by every member's kernels.

    weight (P, C_out, C, k, k), bias (P, C_out) → (B, P·C_out, H, W), members side by side
    on the channel axis (one ordinary convolution with P·C_out output channels).
    """
    members, c_out = weight.shape[:2]
    kernels = weight.reshape(members * c_out, *weight.shape[2:])
    return F.conv2d(x, kernels, bias.reshape(-1), padding=weight.shape[-1] // 2)


def batched_conv(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Same-padded convolution, member p's kernels on member p's channels (groups = P).

    x (B, P·C, H, W), weight (P, C_out, C, k, k) → (B, P·C_out, H, W).
    """
    members, c_out = weight.shape[:2]
    kernels = weight.reshape(members * c_out, *weight.shape[2:])
    return F.conv2d(x, kernels, bias.reshape(-1), padding=weight.shape[-1] // 2, groups=members)


class Dropout:
    """Inverted dropout with a rate per member (Srivastava et al. 2014).

    Members share one noise draw u ∈ (0, 1] per layer and step and keep a unit where u > rate_p,
    scaling kept units by 1/(1 − rate_p): a member's mask depends on its rate and the seed, not
    on the other members, so it trains as it would alone. A member with rate 0 keeps every unit.
    When members share few distinct rates, each distinct rate's mask is computed once and
    copied to its members' rows (the same numbers, a fraction of the arithmetic).
    """

    def __init__(self, rates: Tensor, generator: torch.Generator):
        self.rates = rates.view(-1, 1, 1)
        self.half_scale = 0.5 / (1.0 - self.rates)
        self.generator = generator
        levels, self.level_of = torch.unique(rates, return_inverse=True)
        self.shared = 2 * len(levels) <= len(rates)  # worth a mask per distinct rate
        self.levels = levels.view(-1, 1, 1)
        self.level_half_scale = 0.5 / (1.0 - self.levels)

    def mask(self, shape: tuple[int, ...], like: Tensor, out: Tensor | None = None) -> Tensor:
        """(P, *shape) multipliers: 1/(1 − rate_p) where kept, 0 where dropped.

        Computed as (sign(u − rate_p) + 1) · ½/(1 − rate_p), in float arithmetic throughout
        (a boolean comparison broadcast over members is several times slower).
        """
        noise = torch.rand(shape, generator=self.generator, device=like.device, dtype=like.dtype)
        noise.neg_().add_(1.0)
        if not self.shared:
            return _scaled_mask(noise, self.rates, self.half_scale, out)
        levels = self.levels.view(-1, *([1] * len(shape)))
        scales = self.level_half_scale.view_as(levels)
        per_level = _scaled_mask(noise, levels, scales, None)
        return torch.index_select(per_level, 0, self.level_of, out=out)  # type: ignore[arg-type]

    def __call__(self, h: Tensor) -> Tensor:
        return h * self.mask(tuple(h.shape[1:]), h)


def _scaled_mask(
    kept_noise: Tensor, rates: Tensor, half_scale: Tensor, out: Tensor | None
) -> Tensor:
    """½s (sign(1 − u − rate) + 1) over the rates' leading axis, ``kept_noise`` being 1 − u."""
    kept = torch.sub(kept_noise, rates, out=out).sign_()  # type: ignore[arg-type]
    return torch.addcmul(half_scale, half_scale, kept, out=kept)
