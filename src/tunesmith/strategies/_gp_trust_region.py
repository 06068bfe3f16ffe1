"""The trust region of strategy 'gp' (Eriksson et al. 2019, "Scalable Global Optimization via
Local Bayesian Optimization", TuRBO): the acquisition is maximized inside a box around the best
point, its sides shaped by the GP's lengthscales; the box doubles after a run of improvements and
halves after a run of failures, and starts over at its first size once it is tiny. Once the box
is smaller than its first size, the GP that searches it is fitted to the points in and near
it, in the box's coordinates, so a small box is modelled at its own scale.

The box is replayed from the finished losses in trial order, so it is a function of the history
and a resumed study proposes what an uninterrupted one would.
"""

from __future__ import annotations

import numpy as np

__all__ = ["side_length", "shrunk", "box", "near"]

_INITIAL, _SMALLEST, _LARGEST = 0.8, 0.5**7, 1.6
_SUCCESSES = 3  # improvements in a row that double the box
_IMPROVES = 1e-3  # an improvement beats the best by this fraction of its magnitude
_MARGIN = 0.5  # points up to this many box sides outside the box inform its model


def side_length(losses: np.ndarray, startup: int, d: int) -> float:
    """The box's side in the unit cube after the losses past the start-up (in trial order)."""
    failures_allowed = max(4, d)
    length, successes, failures = _INITIAL, 0, 0
    best = float(np.min(losses[:startup])) if startup else np.inf
    for value in losses[startup:]:
        if value < best - _IMPROVES * abs(best):
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        best = min(best, float(value))
        if successes == _SUCCESSES:
            length, successes = min(2.0 * length, _LARGEST), 0
        elif failures == failures_allowed:
            length, failures = length / 2.0, 0
        if length < _SMALLEST:
            length = _INITIAL
    return length


def shrunk(length: float) -> bool:
    """Whether the box is smaller than its first size (then a GP of its own searches it)."""
    return length < _INITIAL


def box(
    centre: np.ndarray, length: float, lengthscales: np.ndarray, numeric: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the box around ``centre``: each numeric side ``length`` times
    its lengthscale over their geometric mean, clipped to the unit cube; Choice sides whole."""
    low, high = np.zeros(len(centre)), np.ones(len(centre))
    if len(numeric):
        weights = lengthscales / np.exp(np.mean(np.log(lengthscales)))
        half = 0.5 * length * weights
        low[numeric] = np.clip(centre[numeric] - half, 0.0, 1.0)
        high[numeric] = np.clip(centre[numeric] + half, 0.0, 1.0)
    return low, high


def near(x: np.ndarray, low: np.ndarray, high: np.ndarray, minimum: int) -> np.ndarray:
    """Which rows of ``x`` inform the box's model: those within half a side of the box along
    every coordinate, or the ``minimum`` nearest (in box sides, the largest coordinate's
    distance) when fewer are."""
    scaled = (x - low) / (high - low)
    outside = np.max(np.maximum(-scaled, scaled - 1.0), axis=1)  # <= 0 inside the box
    chosen = outside <= _MARGIN
    if chosen.sum() < minimum:
        chosen = np.zeros(len(x), dtype=bool)
        chosen[np.argsort(outside, kind="stable")[:minimum]] = True
    return chosen
