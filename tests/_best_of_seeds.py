"""Shared by the strategy tests that measure convergence: the best values of a few seeded runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tunesmith as ts
from tunesmith.strategies import GP


def mean_log10_best(
    space: dict[str, Any], objective: Callable[[Any], float], n_trials: int, seeds: int = 3
) -> float:
    """The mean over seeds 0 to ``seeds`` - 1 of log10 of the best value strategy 'gp' finds in
    ``n_trials`` (the objective's minimum is 0, so this is the log regret)."""
    best = []
    for seed in range(seeds):
        study = ts.create_study(space=space, strategy=GP(), seed=seed)
        study.optimize(objective, n_trials=n_trials, progress=False)
        best.append(study.best_value)
    return float(np.mean(np.log10(best)))
