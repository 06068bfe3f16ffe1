"""Small random problems with closed-form gradients, usable from NumPy and torch alike."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

SHAPES = ((5, 3), (4,))
NOISE_STEPS = 400


class Problem:
    """Two quadratic bowls, f(W) = ½ tr((W − W*)ᵀ H (W − W*)) and f(v) = ½ (v − v*)ᵀ M (v − v*),
    with fixed gradient noise per step (as in stochastic training).

    Started 20 away from the minima, 200 steps of every tested optimizer stay on the way down
    (or up, when maximizing), where trajectories are stable: near a minimum adaptive methods
    with tiny ε turn sign-like, and two correct implementations drift apart from rounding.
    The noise keeps centered RMSprop's variance s − m² well away from cancellation.
    """

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(6, 5))
        c = rng.normal(size=(3, 4))
        self.h = a.T @ a / 6 + 0.2 * np.eye(5)
        self.m = c.T @ c / 3 + 0.2 * np.eye(4)
        self.minima = [rng.normal(size=shape) for shape in SHAPES]
        self.start = [
            minimum
            + 20.0 * np.sign(rng.normal(size=minimum.shape))
            + rng.normal(size=minimum.shape)
            for minimum in self.minima
        ]
        self.noise = [[rng.normal(size=shape) for shape in SHAPES] for _ in range(NOISE_STEPS)]

    def grads(self, params: Sequence[Any], step: int = 0) -> list[Any]:
        w, v = params
        h, m, w_min, v_min = (self._like(x, w) for x in (self.h, self.m, *self.minima))
        w_noise, v_noise = (self._like(x, w) for x in self.noise[step % NOISE_STEPS])
        return [h @ (w - w_min) + 2.0 * w_noise, m @ (v - v_min) + 2.0 * v_noise]

    @staticmethod
    def _like(matrix: np.ndarray, like: Any) -> Any:
        if isinstance(like, torch.Tensor):
            return torch.as_tensor(matrix, dtype=like.dtype)
        return matrix.astype(like.dtype)

    def torch_params(self, dtype: torch.dtype = torch.float64) -> list[torch.Tensor]:
        return [torch.tensor(s, dtype=dtype, requires_grad=True) for s in self.start]


def run_optimizer(
    problem: Problem,
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    steps: int,
    params: list[torch.Tensor] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    on_step: Callable[[torch.optim.Optimizer], None] | None = None,
    first_step: int = 0,
) -> tuple[list[torch.Tensor], torch.optim.Optimizer]:
    """Take ``steps`` steps of a torch optimizer on ``problem``; return params and optimizer."""
    params = problem.torch_params() if params is None else params
    optimizer = make(params) if optimizer is None else optimizer
    for step in range(first_step, first_step + steps):
        optimizer.zero_grad()
        with torch.no_grad():
            for p, g in zip(params, problem.grads(params, step), strict=True):
                p.grad = g
        optimizer.step()
        if on_step is not None:
            on_step(optimizer)
    return params, optimizer


def run_rule(
    problem: Problem, init: Callable, rule: Callable, steps: int, lib: str = "numpy", **kwargs: Any
) -> list[Any]:
    """Take ``steps`` steps of a functional rule on ``problem`` with NumPy or torch arrays."""
    if lib == "numpy":
        params = [s.copy() for s in problem.start]
    else:
        params = [torch.tensor(s, dtype=torch.float64) for s in problem.start]
    init_kwargs = kwargs.pop("init_kwargs", {})
    states = [init(p, **init_kwargs) for p in params]
    for step in range(steps):
        grads = problem.grads(params, step)
        updated = [rule(p, g, s, **kwargs) for p, g, s in zip(params, grads, states, strict=True)]
        params = [p for p, _ in updated]
        states = [s for _, s in updated]
    return params


def relative_error(actual: Sequence[Any], expected: Sequence[Any]) -> float:
    """max over tensors of max|actual − expected| / max|expected|."""
    worst = 0.0
    for x, y in zip(actual, expected, strict=True):
        x = np.asarray(x.detach() if isinstance(x, torch.Tensor) else x, dtype=float)
        y = np.asarray(y.detach() if isinstance(y, torch.Tensor) else y, dtype=float)
        error = float(np.abs(x - y).max() / np.abs(y).max())
        if not np.isfinite(error) or not np.isfinite(x).all():
            return math.inf
        worst = max(worst, error)
    return worst
