"""Tune an SVC on scikit-learn's bundled digits: 5-fold cross-validated accuracy, maximized.

Run it from the command line::

    tunesmith run examples/svc_digits.py --trials 30
    tunesmith best svc_digits-objective

or as a script (``python examples/svc_digits.py``), which runs a small study in memory.
Needs scikit-learn (``pip install "tunesmith[sklearn]"``); the data ships with it.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

import tunesmith as ts

space = {
    "C": ts.Float(1e-2, 1e3, log=True),
    "gamma": ts.Float(1e-5, 1e-1, log=True),
    "kernel": ts.Choice(["rbf", "linear"]),
}
direction = "maximize"
SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI

N_SAMPLES = 600  # a stratified third of the 1,797 digits: each trial takes about 0.1 s


@lru_cache(maxsize=1)
def load_data() -> tuple[np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], a fixed stratified subsample of ``N_SAMPLES`` images."""
    from sklearn.datasets import load_digits
    from sklearn.utils import resample

    X, y = load_digits(return_X_y=True)
    X, y = resample(X / 16.0, y, n_samples=N_SAMPLES, replace=False, stratify=y, random_state=0)
    return X, y


def objective(trial: ts.Trial) -> float:
    """Mean 5-fold cross-validated accuracy of an SVC with the trial's C, gamma and kernel."""
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y = load_data()
    model = SVC(C=trial.params["C"], gamma=trial.params["gamma"], kernel=trial.params["kernel"])
    return float(cross_val_score(model, X, y, cv=5).mean())


if __name__ == "__main__":
    study = ts.create_study(direction=direction, strategy="random", space=space, seed=0)
    study.optimize(objective, n_trials=5 if SMALL else 20, progress=True)
    print(f"best accuracy {study.best_value:.4f} with {study.best_params}")
