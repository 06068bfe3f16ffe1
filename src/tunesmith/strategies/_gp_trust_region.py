"""The trust region of strategy 'gp' (Eriksson et al. 2019, "Scalable Global Optimization via
Local Bayesian Optimization", TuRBO): the acquisition is maximized inside a box around the best
point, its sides shaped by the GP's lengthscales; the box doubles after a run of improvements and
halves after a run of failures, and starts over at its first size once it is tiny.

The box is replayed from the finished losses in trial order, so it is a function of the history
and a resumed study proposes what an uninterrupted one would.
"""

from __future__ import annotations

import numpy as np

__all__ = ["side_length", "box"]

_INITIAL, _SMALLEST, _LARGEST = 0.8, 0.5**7, 1.6
_SUCCESSES = 3  # improvements in a row that double the box
_IMPROVES = 1e-3  # an improvement beats the best by this fraction of its magnitude


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
