"""Generational search within an optimize call's budget: the last generation is cut to what is
left, so a run leaves no WAITING trial behind, and a seed still gives the same trials."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import NSGA2, Genetic

SPACE = {"x": ts.Float(-5.0, 5.0), "y": ts.Float(-5.0, 5.0), "k": ts.Choice(["a", "b", "c"])}
WAITING = ts.TrialState.WAITING


def sphere(trial: Any) -> float:
    return trial.params["x"] ** 2 + trial.params["y"] ** 2 + (trial.params["k"] != "b")


def batched_sphere(trials: list[Any]) -> list[float]:
    return [sphere(t) for t in trials]


def two(trial: Any) -> tuple[float, float]:
    return trial.params["x"] ** 2, (trial.params["y"] - 1.0) ** 2


def run(strategy: Any, n_trials: int, seed: int = 0, f: Any = sphere, **kwargs: Any) -> ts.Study:
    directions = ["minimize"] * (2 if isinstance(strategy, NSGA2) else 1)
    study = ts.create_study(strategy=strategy, space=SPACE, seed=seed, directions=directions)
    study.optimize(f, n_trials=n_trials, **kwargs)
    return study


def batches(study: ts.Study) -> list[int | None]:
    return [t.batch for t in study.trials]


def params(study: ts.Study) -> list[dict[str, Any]]:
    return [t.params for t in study.trials]


def test_a_run_ends_without_waiting_trials_and_its_last_generation_is_cut():
    study = run(Genetic(population_size=16), 40)
    assert len(study.trials) == 40
    assert [t.state for t in study.trials].count(WAITING) == 0
    assert batches(study) == [0] * 16 + [16] * 16 + [32] * 8
    study.optimize(sphere, n_trials=10)  # the next run breeds from the cut generation
    assert len(study.trials) == 50 and [t.state for t in study.trials].count(WAITING) == 0
    assert batches(study)[40:] == [40] * 10


def test_nsga2_cuts_its_last_generation_too():
    study = run(NSGA2(population_size=12), 30, f=two)
    assert batches(study) == [0] * 12 + [12] * 12 + [24] * 6
    assert [t.state for t in study.trials].count(WAITING) == 0


@pytest.mark.parametrize(
    "kwargs", [{}, {"n_jobs": 4}, {"batch_size": 5}], ids=["serial", "threads", "batched"]
)
def test_the_same_seed_gives_the_same_trials_whatever_the_parallelism(kwargs):
    serial = run(Genetic(population_size=16), 40, seed=7)
    f = batched_sphere if "batch_size" in kwargs else sphere
    other = run(Genetic(population_size=16), 40, seed=7, f=f, **kwargs)
    assert [t.state for t in other.trials] == [ts.TrialState.COMPLETE] * 40
    assert params(other) == params(serial)
    assert batches(other) == batches(serial)
    assert params(run(Genetic(population_size=16), 40, seed=8)) != params(serial)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_trials_waiting_before_the_run_count_against_its_budget(backend, tmp_path):
    storage = None if backend == "memory" else f"sqlite:///{tmp_path / 'study.db'}"
    study = ts.create_study(
        strategy=Genetic(population_size=16), space=SPACE, seed=0, storage=storage
    )
    for x in (0.0, 1.0, 2.0):
        study.enqueue({"x": x, "y": 0.0, "k": "a"})
    study.optimize(sphere, n_trials=20)
    assert len(study.trials) == 20  # 3 enqueued, a generation of 16, then one of 1
    assert batches(study) == [None] * 3 + [3] * 16 + [19]
    assert [t.state for t in study.trials].count(WAITING) == 0


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_trials_claimed_with_the_first_proposal_count_against_the_budget(backend, tmp_path):
    storage = None if backend == "memory" else f"sqlite:///{tmp_path / 'study.db'}"
    study = ts.create_study(
        strategy=Genetic(population_size=16), space=SPACE, seed=0, storage=storage
    )
    for x in (0.0, 1.0, 2.0):
        study.enqueue({"x": x, "y": 0.0, "k": "a"})
    study.optimize(batched_sphere, n_trials=10, batch_size=5)  # 3 queued + 2 new, then 5
    assert batches(study) == [None] * 3 + [3] * 7
    assert [t.state for t in study.trials] == [ts.TrialState.COMPLETE] * 10


def test_a_budget_covering_whole_generations_changes_nothing():
    cut = run(Genetic(population_size=10), 30, seed=3)
    study = ts.create_study(strategy=Genetic(population_size=10), space=SPACE, seed=3)
    for _ in range(30):  # ask and tell: no budget at all
        trial = study.ask()
        study.tell(trial, sphere(trial))
    assert params(study) == params(cut)


def test_asking_after_a_run_gets_whole_generations_again():
    study = run(Genetic(population_size=16), 20)
    assert batches(study) == [0] * 16 + [16] * 4
    trial = study.ask()  # outside any optimize call: the budget is spent
    assert trial.number == 20
    assert batches(study) == [0] * 16 + [16] * 4 + [20] * 16
    assert [t.state for t in study.trials].count(WAITING) == 15


def test_without_a_plan_a_generation_is_whole_whatever_n():
    g = Genetic(population_size=12)
    g.plan(None)
    assert len(g.propose([], SPACE, 3, np.random.default_rng(0))) == 12
    g.plan(5)
    assert len(g.propose([], SPACE, 3, np.random.default_rng(0))) == 5
    g.plan(2)
    assert len(g.propose([], SPACE, 3, np.random.default_rng(0))) == 3  # never below n
