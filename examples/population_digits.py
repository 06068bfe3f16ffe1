"""Tune an MLP's optimizer, learning rate and weight decay on digits with a genetic search,
training each generation as one population, then the same search trial by trial.

Every member of a population trains exactly as it would alone, so both searches see the same
values and the genetic algorithm breeds the same generations: only the time differs. The digits
set ships inside scikit-learn (no download). Needs: pip install "tunesmith[torch,sklearn]".
Runs in well under a minute on a laptop CPU.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.strategies import Genetic

SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI
GENERATIONS = 1 if SMALL else 3
POPULATION = 4 if SMALL else 16
EPOCHS = 1 if SMALL else 8
SPACE = {
    "optimizer": ts.Choice(["sgd", "momentum", "rmsprop", "adam", "adamw"]),
    "lr": ts.Float(1e-4, 3e-1, log=True),
    "weight_decay": ts.Float(1e-6, 1e-2, log=True),
}


def load() -> dict[str, np.ndarray]:
    """Digits (8x8 images, 10 classes) scaled to [0, 1], split 80/20 with a fixed seed."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, random_state=0)
    return {"X": x_train, "y": y_train, "X_val": x_val, "y_val": y_val}


def search(objective, batch_size: int | None) -> tuple[ts.Study, float]:
    """A genetic search of GENERATIONS x POPULATION trials; returns the study and seconds."""
    study = ts.create_study(
        direction="maximize", strategy=Genetic(population_size=POPULATION), space=SPACE, seed=0
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=GENERATIONS * POPULATION, batch_size=batch_size)
    return study, time.perf_counter() - start


def main() -> None:
    data = load()
    model = pop.MLP(hidden=(64,))
    options = {"epochs": EPOCHS, "batch_size": 64, "seed": 0}
    batched = pop.objective(model, **data, **options)

    def one_trial(trial: ts.Trial) -> float:
        """The same training, one trial at a time (a population of one)."""
        data_args = {k: data[k] for k in ("X_val", "y_val")}
        result = pop.train(model, data["X"], data["y"], [trial.params], **data_args, **options)[0]
        if result.failed:
            raise FloatingPointError(result.error)
        return result.accuracy

    population_study, population_seconds = search(batched, batch_size=POPULATION)
    serial_study, serial_seconds = search(one_trial, batch_size=None)

    print(f"{GENERATIONS} generations of {POPULATION} MLPs (64 hidden units), {EPOCHS} epochs each")
    print(
        f"  population mode : {population_seconds:6.1f} s  (one batched computation per generation)"
    )
    print(f"  trial by trial  : {serial_seconds:6.1f} s")
    print(f"  speed-up        : {serial_seconds / population_seconds:6.1f}x")
    for name, study in (("population", population_study), ("trial by trial", serial_study)):
        best = study.best_trial
        params = ", ".join(
            f"{k}={v:.2g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items()
        )
        print(f"  best ({name}): accuracy {best.value:.3f} with {params}")
    same = [t.params for t in population_study.trials] == [t.params for t in serial_study.trials]
    print(f"  same trials proposed in both searches: {same}")


if __name__ == "__main__":
    torch.set_num_threads(1)  # small matrices: one thread per process is fastest, and fair
    main()
