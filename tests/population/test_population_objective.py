"""Studies with a population objective: one batch of trials trained as one population."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.strategies import Genetic, Grid, Random

torch.set_num_threads(1)

SPACE = {
    "optimizer": ts.Choice(["sgd", "adam"]),
    "lr": ts.Float(1e-3, 1e-1, log=True),
}


@pytest.fixture(scope="module")
def data() -> dict:
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:200], "y": y[:200], "X_val": x[200:300], "y_val": y[200:300]}


class Counting(pop.PopulationObjective):
    """A population objective that remembers the size of each batch it trained."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []

    def __call__(self, trials):
        self.batches.append(len(trials))
        return super().__call__(trials)


def make(data: dict, **kwargs) -> Counting:
    options = {"epochs": 2, "batch_size": 32, "seed": 0, **kwargs}
    model = kwargs.pop("model", None) or pop.MLP(hidden=(8,))
    options.pop("model", None)
    return Counting(
        model, data["X"], data["y"], X_val=data["X_val"], y_val=data["y_val"], **options
    )


def states(study: ts.Study) -> list[str]:
    return [t.state.value for t in study.trials]


def test_grid_batch_is_trained_as_one_population(data) -> None:
    space = {"optimizer": ts.Choice(["sgd", "adam"]), "lr": ts.Choice([0.01, 0.1])}
    study = ts.create_study(direction="maximize", strategy=Grid(), space=space, seed=0)
    objective = make(data)
    study.optimize(objective, n_trials=4, batch_size=4)
    assert objective.batches == [4] and states(study) == ["COMPLETE"] * 4
    configs = [t.params for t in study.trials]
    direct = pop.train(
        pop.MLP(hidden=(8,)),
        data["X"],
        data["y"],
        configs,
        X_val=data["X_val"],
        y_val=data["y_val"],
        epochs=2,
        batch_size=32,
        seed=0,
    )
    assert [t.value for t in study.trials] == pytest.approx([r.accuracy for r in direct])
    assert len(study.trials[0].user_attrs["loss_curve"]) == 2


def test_random_search_in_batches(data) -> None:
    study = ts.create_study(direction="maximize", strategy=Random(), space=SPACE, seed=1)
    objective = make(data)
    study.optimize(objective, n_trials=6, batch_size=3)
    assert objective.batches == [3, 3] and states(study) == ["COMPLETE"] * 6
    assert 0.0 <= study.best_value <= 1.0


def test_genetic_search_one_generation_per_batch(data) -> None:
    strategy = Genetic(population_size=4)
    study = ts.create_study(direction="maximize", strategy=strategy, space=SPACE, seed=2)
    objective = make(data)
    study.optimize(objective, n_trials=12, batch_size=4)
    assert objective.batches == [4, 4, 4] and states(study) == ["COMPLETE"] * 12


def test_space_of_distributions_suggests_define_by_run(data) -> None:
    study = ts.create_study(direction="maximize", strategy="random", seed=3)
    objective = make(data, space={"lr": ts.Float(1e-3, 1e-1, log=True)})
    study.optimize(objective, n_trials=3, batch_size=3)
    assert states(study) == ["COMPLETE"] * 3
    assert all(1e-3 <= t.params["lr"] <= 1e-1 for t in study.trials)


def test_halving_prunes_members_inside_a_batch(data) -> None:
    study = ts.create_study(direction="maximize", strategy="random", space=SPACE, seed=4)
    objective = make(data, epochs=9, early_stopping="halving", eta=3)
    study.optimize(objective, n_trials=9, batch_size=9)
    assert sorted(states(study)) == ["COMPLETE"] + ["PRUNED"] * 8
    pruned = [t for t in study.trials if t.state is ts.TrialState.PRUNED]
    assert all(t.intermediate and t.value is not None for t in pruned)
    assert {max(t.intermediate) for t in pruned} == {1, 3}
    best = study.best_trial
    assert best.state is ts.TrialState.COMPLETE and best.user_attrs["epochs"] == 9


def test_diverged_and_invalid_members_fail_alone(data) -> None:
    configs = iter([{"optimizer": "sgd", "lr": 1e12}, {"lr": 0.01}, {"lr": -1.0}])
    study = ts.create_study(direction="maximize", strategy="random", seed=5)
    objective = make(data, space=lambda trial: next(configs))
    study.optimize(objective, n_trials=3, batch_size=3)
    assert states(study) == ["FAIL", "COMPLETE", "FAIL"]
    assert "Diverged" in study.trials[0].error
    assert "'lr' >= 0" in study.trials[2].error


def test_regression_objective_uses_mse(data) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    objective = pop.objective(pop.Linear(), x, y, epochs=30, batch_size=None)
    assert objective.metric == "mse"
    study = ts.create_study(
        direction="minimize", strategy=Grid(), seed=0, space={"lr": ts.Choice([0.001, 0.1])}
    )
    study.optimize(objective, n_trials=2, batch_size=2)
    low, high = sorted(study.trials, key=lambda t: t.params["lr"])
    assert high.value < low.value
