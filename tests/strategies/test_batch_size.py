"""A batched objective gets the batch size it asked for from the generational strategies (their
population follows the batch when none is set), and a batched run leaves no WAITING trial."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import from_attrs, to_attrs
from tunesmith.strategies._batches import RunBudget, batch_population
from tunesmith.strategies.cmaes import CMAES
from tunesmith.strategies.genetic import Genetic

pytest.importorskip("cmaes")

SPACE3 = {"x": ts.Float(-5.0, 5.0), "y": ts.Float(-5.0, 5.0), "z": ts.Float(-5.0, 5.0)}
MIXED = {"x": ts.Float(-5.0, 5.0), "n": ts.Int(1, 64, log=True), "k": ts.Choice(["a", "b"])}
WAITING = ts.TrialState.WAITING


def loss(params: dict[str, Any]) -> float:
    return sum(float(v) ** 2 for v in params.values() if not isinstance(v, str))


def batched_run(strategy: Any, space: dict, n_trials: int, batch_size: int, seed: int = 0):
    """The study and the size of every batch the objective was given."""
    sizes: list[int] = []

    def objective(trials: list[Any]) -> list[float]:
        sizes.append(len(trials))
        return [loss(t.params) for t in trials]

    study = ts.create_study(strategy=strategy, space=space, seed=seed)
    study.optimize(objective, n_trials=n_trials, batch_size=batch_size)
    return study, sizes


def generations(study: ts.Study) -> list[int]:
    """The size of each propose call, in order."""
    tags = [t.batch for t in study.trials]
    return [tags.count(b) for b in sorted(set(tags) - {None})]


def states(study: ts.Study) -> set[ts.TrialState]:
    return {t.state for t in study.trials}


@pytest.mark.parametrize("make", [Genetic, CMAES], ids=["genetic", "cmaes"])
def test_the_default_population_follows_a_batch_and_the_run_leaves_nothing_waiting(make):
    study, sizes = batched_run(make(), SPACE3, 200, 64)
    assert sizes == [64, 64, 64, 8]
    assert generations(study) == [64, 64, 64, 8]  # the last one cut to the budget
    assert len(study.trials) == 200 and states(study) == {ts.TrialState.COMPLETE}


@pytest.mark.parametrize("make", [Genetic, CMAES], ids=["genetic", "cmaes"])
def test_a_seed_gives_the_same_batched_run(make):
    first = [t.params for t in batched_run(make(), MIXED, 100, 32, seed=4)[0].trials]
    again = [t.params for t in batched_run(make(), MIXED, 100, 32, seed=4)[0].trials]
    other = [t.params for t in batched_run(make(), MIXED, 100, 32, seed=5)[0].trials]
    assert first == again and first != other


def test_a_batch_that_divides_the_default_population_changes_no_trial_of_genetic():
    serial = ts.create_study(strategy=Genetic(), space=MIXED, seed=2)
    serial.optimize(lambda t: loss(t.params), n_trials=50)
    study, sizes = batched_run(Genetic(), MIXED, 50, 5, seed=2)
    assert sizes == [5] * 10 and generations(study) == [20, 20, 10] == generations(serial)
    assert [t.params for t in study.trials] == [t.params for t in serial.trials]


def test_a_batch_below_the_default_gets_whole_batches_from_genetic():
    study, sizes = batched_run(Genetic(), SPACE3, 100, 16)
    assert sizes == [16] * 6 + [4] and generations(study) == [32, 32, 32, 4]


def test_a_batch_below_the_default_splits_cmaes_generations_and_leaves_nothing_waiting():
    study, sizes = batched_run(CMAES(), SPACE3, 40, 5)  # default population 7
    assert sizes == [5, 2] * 5 + [5] and generations(study) == [7] * 5 + [5]
    assert states(study) == {ts.TrialState.COMPLETE}


def test_an_explicit_population_is_kept_whatever_the_batch():
    study, sizes = batched_run(Genetic(population_size=100), SPACE3, 200, 64)
    assert sizes == [64, 36, 64, 36] and generations(study) == [100, 100]
    study, sizes = batched_run(CMAES(population_size=10), SPACE3, 45, 64)
    assert sizes == [10, 10, 10, 10, 5] and states(study) == {ts.TrialState.COMPLETE}


def test_cmaes_restarts_grow_the_population_of_the_first_batch_in_whole_batches():
    # A tiny integer space: each run soon decodes a whole generation to one point and
    # restarts with the population multiplied by inc_popsize (the default would be 6).
    space = {"a": ts.Int(0, 3), "b": ts.Int(0, 3)}
    strategy = CMAES(restart="ipop", inc_popsize=3)
    study, sizes = batched_run(strategy, space, 600, 8)
    assert sizes == [8] * 75  # each generation of 24 or 72 spans whole batches
    sizes = generations(study)
    runs = [g for i, g in enumerate(sizes) if i == 0 or g != sizes[i - 1]]
    assert runs == [8, 24, 72, 16]  # the last generation cut to the budget
    assert states(study) == {ts.TrialState.COMPLETE}


def test_cmaes_keeps_the_population_of_the_first_generation_when_reloaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'cma.db'}"

    def objective(trials: list[Any]) -> list[float]:
        return [loss(t.params) for t in trials]

    whole = ts.create_study(name="whole", storage=url, strategy=CMAES(), space=SPACE3, seed=1)
    whole.optimize(objective, n_trials=160, batch_size=16)
    part = ts.create_study(name="part", storage=url, strategy=CMAES(), space=SPACE3, seed=1)
    part.optimize(objective, n_trials=64, batch_size=16)
    again = ts.load_study("part", storage=url)  # a fresh strategy replays the history
    again.optimize(objective, n_trials=96, batch_size=16)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]
    assert generations(whole) == [16] * 10
    # asked one at a time afterwards, the study still breeds generations of 16
    again.ask()
    assert generations(again)[-1] == 16


def test_a_first_generation_cut_below_the_default_does_not_set_the_cmaes_population():
    study, sizes = batched_run(CMAES(), SPACE3, 5, 64)  # default population 7, cut to 5
    assert sizes == [5]
    study.optimize(lambda ts_: [loss(t.params) for t in ts_], n_trials=64, batch_size=64)
    assert generations(study) == [5, 64] and states(study) == {ts.TrialState.COMPLETE}


def test_the_default_population_reads_20_and_is_stored_as_unset():
    g = Genetic()
    assert g.population_size == 20 and repr(g).startswith("Genetic(population_size=20,")
    assert to_attrs(g)["config"]["population_size"] is None
    back = from_attrs(to_attrs(g))
    assert to_attrs(back) == to_attrs(g)
    assert len(back.propose([], SPACE3, 64, np.random.default_rng(0))) == 64
    assert len(Genetic(population_size=20).propose([], SPACE3, 64, np.random.default_rng(0))) == 20


def test_batch_population_and_run_budget_rules():
    assert [batch_population(n, 20) for n in (1, 5, 8, 16, 20, 64)] == [20, 20, 24, 32, 20, 64]
    budget = RunBudget()
    assert budget.cut([], 64, 8) == 64  # no plan: whole generations
    budget.plan(10)
    assert budget.cut([], 64, 1, batched_only=True) == 64  # one at a time: not cut
    assert budget.cut([], 64, 1) == 10
    assert budget.cut([], 64, 4, batched_only=True) == 10  # the run is batched from now on
    assert budget.cut([], 64, 1, batched_only=True) == 10
    assert budget.cut([], 6, 1) == 6 and budget.cut([], 64, 12) == 12  # never below n
