"""Gradient estimates and steps for gradient descent on hyperparameters, in the unit cube.

Plain functions over points of the unit cube (one coordinate per numeric parameter). Estimates
read the points as evaluated, after the distributions rounded them, so a coordinate that two
points do not tell apart gets no gradient instead of a wrong one. ``batch_estimate`` reads one
finished batch of trials into the loss at the iterate and the gradient there.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.optim.functional import adam, adam_init, sgd, sgd_init
from tunesmith.ranking import sign
from tunesmith.space import Distribution, Float
from tunesmith.strategies.base import encode, signed_values
from tunesmith.trial import FrozenTrial, TrialState

__all__ = [
    "resolution",
    "unit_slope",
    "spsa_points",
    "central_points",
    "pair_gradient",
    "unit_gradient",
    "init_moments",
    "descent_direction",
    "batch_estimate",
]

_NO_GRADIENT = (
    "GradientDescent(estimator='exact') needs the objective to record its gradient: "
    "trial.set_user_attr('gradient', {name: d value / d param}) with finite numbers; "
    "a trial without one is retried like a failed one."
)
_SLOPE_H = 1e-6  # half-width of the numerical derivative of a continuous Float's from_unit


def resolution(dist: Distribution, u: float) -> float:
    """Unit-interval distance from the value at ``u`` to its farther neighbouring value.

    0 for a continuous Float; for an Int or a Float with ``step`` the width of one value's bin,
    so a perturbation of at least this size always reaches another value.
    """
    if isinstance(dist, Float) and dist.step is None:
        return 0.0
    value = dist.from_unit(u)
    here = dist.to_unit(value)
    gaps = [
        abs(dist.to_unit(w) - here)
        for w in (value - dist.step, value + dist.step)
        if dist.low <= w <= dist.high
    ]
    return max(gaps)


def unit_slope(dist: Distribution, u: float) -> float:
    """d value / d u at ``u``, numerically from ``from_unit`` (over one bin when discrete)."""
    h = max(resolution(dist, u), _SLOPE_H)
    lo, hi = max(u - h, 0.0), min(u + h, 1.0)
    return (float(dist.from_unit(hi)) - float(dist.from_unit(lo))) / (hi - lo)


def spsa_points(
    x: np.ndarray, c: float, widths: np.ndarray, rng: np.random.Generator
) -> list[np.ndarray]:
    """The pair ``x ± c Δ`` with Rademacher Δ (Spall 1992), each step at least one bin wide."""
    delta = rng.choice(np.array([-1.0, 1.0]), size=len(x))
    step = np.maximum(c, widths) * delta
    return [np.clip(x + step, 0.0, 1.0), np.clip(x - step, 0.0, 1.0)]


def central_points(x: np.ndarray, c: float, widths: np.ndarray) -> list[np.ndarray]:
    """The pairs ``x ± h_i e_i`` of central differences, one pair per coordinate."""
    out = []
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = max(c, widths[i])
        out += [np.clip(x + step, 0.0, 1.0), np.clip(x - step, 0.0, 1.0)]
    return out


def pair_gradient(points: Sequence[np.ndarray], losses: Sequence[float]) -> np.ndarray:
    """Sum over consecutive pairs of ``(f+ - f-) / (u+ - u-)`` on the coordinates that differ.

    One SPSA pair gives Spall's estimate ``(f+ - f-) / (2 c Δ_i)``; the d pairs of central
    differences each fill their own coordinate.
    """
    g = np.zeros(len(points[0]))
    for k in range(0, len(points), 2):
        diff = points[k] - points[k + 1]
        moved = diff != 0.0
        g[moved] += (losses[k] - losses[k + 1]) / diff[moved]
    return g


def unit_gradient(
    grads: Any, space: Mapping[str, Distribution], x: np.ndarray, sign: float
) -> np.ndarray | None:
    """An objective's gradient ``{name: d value / d param}`` as a unit-cube loss gradient.

    Chain rule: d loss / d u = sign * d value / d param * d param / d u. Names left out count as
    0; None when ``grads`` is not a mapping of finite numbers.
    """
    if not isinstance(grads, Mapping):
        return None
    g = np.zeros(len(space))
    for i, (name, dist) in enumerate(space.items()):
        raw = grads.get(name, 0.0)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
            return None
        if not np.isfinite(raw):
            return None
        g[i] = sign * float(raw) * unit_slope(dist, float(x[i]))
    return g


def init_moments(optimizer: str, d: int) -> Any:
    """The optimizer's state for ``d`` coordinates (``optim.functional`` rules)."""
    return adam_init(np.zeros(d)) if optimizer == "adam" else sgd_init(np.zeros(d))


def descent_direction(
    optimizer: str, g: np.ndarray, moments: Any, momentum: float, beta2: float
) -> tuple[np.ndarray, Any]:
    """The step for lr = 1 and the new state: Adam (Kingma & Ba 2015) or heavy-ball momentum
    (Polyak 1964), so the caller can rescale one step by any learning rate."""
    zero = np.zeros_like(g)
    if optimizer == "adam":
        moved, moments = adam(zero, g, moments, lr=1.0, betas=(momentum, beta2))
    else:
        moved, moments = sgd(zero, g, moments, lr=1.0, momentum=momentum)
    return -moved, moments


def batch_estimate(
    members: Sequence[FrozenTrial],
    numeric: Mapping[str, Distribution],
    x: np.ndarray,
    directions: Sequence[str],
    estimator: str,
) -> tuple[float | None, np.ndarray | None]:
    """The loss at iterate ``x`` (the batch's first member) and the unit-cube gradient there,
    from one finished batch; each None when missing (a failed or pruned trial, an exact
    gradient not recorded)."""
    losses = [
        signed_values(m, directions)[0]
        if m.state is TrialState.COMPLETE and m.values is not None
        else None
        for m in members
    ]
    if estimator == "exact":
        grads = members[0].gradient
        g = None if losses[0] is None else unit_gradient(grads, numeric, x, sign(directions[0]))
        if losses[0] is not None and g is None:
            warnings.warn(_NO_GRADIENT, UserWarning, stacklevel=3)
        return losses[0], g
    if any(f is None for f in losses[1:]):
        return losses[0], None
    points = [encode(m.params, numeric) for m in members[1:]]
    return losses[0], pair_gradient(points, losses[1:])
