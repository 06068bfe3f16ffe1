"""The 10-dimensional Rastrigin function: many local minima, global minimum 0 at the origin.

    f(x) = 10 d + sum_i (x_i^2 - 10 cos(2 pi x_i)),   x_i in [-5.12, 5.12]

A standard test of whether a search escapes local minima. From the command line::

    tunesmith run examples/rastrigin.py --strategy genetic --trials 500

or as a script (``python examples/rastrigin.py``), which runs a small study in memory.
"""

from __future__ import annotations

import math
import os

import tunesmith as ts

DIMENSIONS = 10

space = {f"x{i}": ts.Float(-5.12, 5.12) for i in range(DIMENSIONS)}
direction = "minimize"
SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI


def rastrigin(x: list[float]) -> float:
    """Rastrigin's function (Rastrigin 1974; Mühlenbein et al. 1991 for the d-dimensional form)."""
    return 10.0 * len(x) + sum(v * v - 10.0 * math.cos(2.0 * math.pi * v) for v in x)


def objective(trial: ts.Trial) -> float:
    """Rastrigin at the trial's point (x0 .. x9)."""
    return rastrigin([trial.params[f"x{i}"] for i in range(DIMENSIONS)])


if __name__ == "__main__":
    study = ts.create_study(direction=direction, strategy="random", space=space, seed=0)
    study.optimize(objective, n_trials=50 if SMALL else 500, progress=True)
    print(f"best f = {study.best_value:.4f} (global minimum 0 at the origin)")
