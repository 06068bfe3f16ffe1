"""SVC on scikit-learn's digits: the same C x gamma grid searched exhaustively and genetically.

``SearchCV`` is a drop-in for GridSearchCV: with ``strategy="grid"`` it fits every candidate of
the grid, in ParameterGrid's order; with ``strategy=Genetic(...)`` and ``n_trials`` it evaluates
a third of them, bred from the best so far. Run it as ``python examples/sklearn_search.py``.
Needs scikit-learn (``pip install "tunesmith[sklearn]"``); the data ships with it.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from tunesmith.sklearn import SearchCV
from tunesmith.strategies import Genetic

SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI
GRID = {"C": list(np.logspace(-1, 4, 6)), "gamma": list(np.logspace(-5, 0, 6))}  # 36 candidates
if SMALL:
    GRID = {"C": [1.0, 100.0], "gamma": [1e-3, 1e-1]}
FOLDS = 3 if SMALL else 5
JOBS = 1 if SMALL else -1  # no worker processes to start for the tiny grid


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    searches = {
        "grid": SearchCV(SVC(), GRID, strategy="grid", cv=FOLDS, n_jobs=JOBS),
        "genetic": SearchCV(
            SVC(),
            GRID,
            strategy=Genetic(population_size=4),
            n_trials=3 if SMALL else 12,
            cv=FOLDS,
            n_jobs=JOBS,
            seed=0,
        ),
    }
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        n = len(search.cv_results_["params"])
        print(
            f"{name:>8}: {n:2d} candidates x {search.n_splits_} folds in {seconds:5.1f} s, "
            f"best CV accuracy {search.best_score_:.4f} with "
            f"C={search.best_params_['C']:g}, gamma={search.best_params_['gamma']:g}; "
            f"test accuracy {search.score(X_test, y_test):.4f}"
        )


if __name__ == "__main__":
    main()
