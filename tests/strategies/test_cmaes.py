"""CMAES strategy: bounds and types, generations, replay from history, restarts, validation."""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies.cmaes import CMAES, default_popsize
from tunesmith.strategies.random import Random
from tunesmith.trial import TrialState

pytest.importorskip("cmaes")

MIXED = {
    "lr": ts.Float(1e-4, 1.0, log=True),
    "x": ts.Float(-3.0, 3.0),
    "q": ts.Float(0.0, 1.0, step=0.25),
    "depth": ts.Int(1, 12),
    "units": ts.Int(8, 512, log=True),
    "act": ts.Choice(["relu", "tanh", "gelu"]),
}
SPHERE5 = {f"x{i}": ts.Float(-5.0, 5.0) for i in range(5)}
WEIGHTS = np.array([1.0, 3.0, 10.0, 30.0, 100.0])


def ellipsoid(trial: Any) -> float:
    x = np.array([trial.params[f"x{i}"] for i in range(5)])
    return float(np.sum(WEIGHTS * (x - 1.0) ** 2))


def mixed_loss(trial: Any) -> float:
    p = trial.params
    act = {"relu": 0.0, "tanh": 0.5, "gelu": 1.0}[p["act"]]
    return (
        (np.log10(p["lr"]) + 2) ** 2
        + (p["x"] - 1) ** 2
        + (p["q"] - 0.5) ** 2
        + (p["depth"] - 4) ** 2 / 10
        + np.log2(p["units"] / 64) ** 2 / 10
        + act
    )


def batches(study: ts.Study) -> list[list[Any]]:
    """The trials of each propose call, in order."""
    groups: dict[int, list[Any]] = {}
    for t in study.trials:
        groups.setdefault(t.system_attrs.get("batch"), []).append(t)
    return [groups[b] for b in sorted(k for k in groups if k is not None)]


# -- proposals ---------------------------------------------------------------------------------
def test_proposals_respect_bounds_types_and_draw_choices_per_member():
    study = ts.create_study(strategy=CMAES(), space=MIXED, seed=0)
    study.optimize(mixed_loss, n_trials=120)
    for t in study.trials:
        assert set(t.params) == set(MIXED)
        for name, dist in MIXED.items():
            assert dist.contains(t.params[name]), (name, t.params[name])
        assert isinstance(t.params["depth"], int) and isinstance(t.params["units"], int)
        assert isinstance(t.params["x"], float) and isinstance(t.params["lr"], float)
        assert t.params["q"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    options = [{t.params["act"] for t in generation} for generation in batches(study)]
    assert all(len(o) > 1 for o in options[-3:])  # still tried side by side at the end
    assert study.best_value < 1.0 + 0.05  # at least the numeric part is solved


def test_a_generation_is_a_whole_population_whatever_n():
    strategy = CMAES()
    strategy.directions = ("minimize",)
    out = strategy.propose([], SPHERE5, 1, np.random.default_rng(0))
    assert len(out) == default_popsize(5) == 8
    assert len(CMAES(population_size=13).propose([], SPHERE5, 64, np.random.default_rng(0))) == 13
    assert default_popsize(1) == 4 and default_popsize(100) == 17


def test_waits_while_a_member_of_the_generation_runs():
    study = ts.create_study(strategy=CMAES(population_size=6), space=SPHERE5, seed=1)
    first = study.ask_batch(4)
    assert len(first) == 4  # the other 2 members wait in the queue
    rest = study.ask_batch(10)
    assert len(rest) == 2 and {t.number for t in rest} == {4, 5}
    with pytest.raises(RuntimeError, match="waits for the running trials"):
        study.ask_batch(1)
    study.tell_batch(first + rest, [ellipsoid(t) for t in first + rest])
    nxt = study.ask_batch(6)
    assert [t.number for t in nxt] == list(range(6, 12))
    assert {study.trials[6].system_attrs["batch"]} == {6}


def test_define_by_run_learns_the_space():
    def objective(trial):
        return (trial.suggest_float("a", -2, 2) - 0.5) ** 2 + trial.suggest_int("n", 1, 9) / 10

    study = ts.create_study(strategy=CMAES(), seed=0)
    study.optimize(objective, n_trials=80)
    assert study.best_value < 0.15
    assert study.best_params["n"] == 1


# -- determinism and replay ---------------------------------------------------------------------
def test_same_seed_same_trials_and_execution_mode_does_not_matter():
    def run(**kwargs):
        study = ts.create_study(strategy=CMAES(), space=MIXED, seed=7)
        if "batch_size" in kwargs:
            study.optimize(lambda ts_: [mixed_loss(t) for t in ts_], n_trials=50, **kwargs)
        else:
            study.optimize(mixed_loss, n_trials=50, **kwargs)
        return [t.params for t in study.trials]

    serial = run()
    assert run(n_jobs=3) == serial
    # A batched run cuts its last generation to the budget (no trial left WAITING); a serial
    # run leaves the rest of that generation WAITING for the next run.
    assert len(serial) > 50
    assert run(batch_size=8) == serial[:50]
    assert run(batch_size=5) == serial[:50]
    other = ts.create_study(strategy=CMAES(), space=MIXED, seed=8)
    other.optimize(mixed_loss, n_trials=8)
    assert [t.params for t in other.trials] != serial[:8]


INT2 = {"a": ts.Int(0, 20), "b": ts.Int(0, 20)}


def int_loss(trial: Any) -> float:
    return (trial.params["a"] - 7) ** 2 + (trial.params["b"] - 13) ** 2


@pytest.mark.parametrize(
    "space, objective, total, first",
    [(MIXED, mixed_loss, 70, 29), (INT2, int_loss, 200, 131)],  # the second reloads after a restart
)
def test_reloading_from_sqlite_mid_generation_continues_identically(
    tmp_path, space, objective, total, first
):
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    whole = ts.create_study(name="whole", storage=url, strategy=CMAES(restart="bipop"),
                            space=space, seed=3)  # fmt: skip
    whole.optimize(objective, n_trials=total)
    part = ts.create_study(name="part", storage=url, strategy=CMAES(restart="bipop"),
                           space=space, seed=3)  # fmt: skip
    part.optimize(objective, n_trials=first)  # stops inside a generation
    assert any(t.state is TrialState.WAITING for t in part.trials)
    again = ts.load_study("part", storage=url)  # the strategy comes back from storage
    assert repr(again.strategy) == repr(CMAES(restart="bipop"))
    again.optimize(objective, n_trials=total - first)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]
    assert len({len(g) for g in batches(whole)}) > (space is INT2)  # restarted when asked to


def test_replay_is_incremental_one_tell_per_generation(monkeypatch):
    import cmaes

    told = Counter()
    original = cmaes.CMA.tell

    def counting(self, solutions):
        told["tell"] += 1
        return original(self, solutions)

    monkeypatch.setattr(cmaes.CMA, "tell", counting)
    study = ts.create_study(strategy=CMAES(), space=SPHERE5, seed=0)
    study.optimize(ellipsoid, n_trials=8 * 25)
    assert told["tell"] == 24  # every generation told once; the 25th still to be told
    strategy = CMAES()
    strategy.directions = ("minimize",)
    fresh = strategy.propose(study.trials, SPHERE5, 1, np.random.default_rng(5))
    again = study.strategy.propose(study.trials, SPHERE5, 1, np.random.default_rng(5))
    assert fresh == again  # cache and replay from scratch agree


# -- quality ------------------------------------------------------------------------------------
def test_clearly_better_than_random_on_an_ellipsoid():
    cma, rnd = [], []
    for seed in range(4):
        study = ts.create_study(strategy=CMAES(), space=SPHERE5, seed=seed)
        study.optimize(ellipsoid, n_trials=320)
        cma.append(study.best_value)
        study = ts.create_study(strategy=Random(), space=SPHERE5, seed=seed)
        study.optimize(ellipsoid, n_trials=320)
        rnd.append(study.best_value)
    assert max(cma) < 0.5 < 10.0 < min(rnd)  # every seed, by a factor of 20 at least
    assert np.median(cma) * 100 < np.median(rnd)


@pytest.mark.parametrize("restart", ["ipop", "bipop"])
def test_restarts_change_the_population_once_a_run_converges(restart):
    study = ts.create_study(strategy=CMAES(restart=restart), space=INT2, seed=0)
    study.optimize(int_loss, n_trials=300)
    sizes = [len(g) for g in batches(study)]
    assert sizes[0] == 6 and study.best_value == 0
    if restart == "ipop":
        assert 12 in sizes and sizes == sorted(sizes)
    else:
        assert min(sizes) < 6 and max(sizes) >= 12  # small and large regimes alternate
    never = ts.create_study(strategy=CMAES(restart=None), space=INT2, seed=0)
    never.optimize(int_loss, n_trials=120)
    assert {len(g) for g in batches(never)} == {6}


@pytest.mark.parametrize("population_size, base", [(4, 4), (None, 6)])
def test_ipop_populations_grow_as_powers_of_inc_popsize(population_size, base):
    # A tiny integer space: each run soon decodes a whole generation to one point and
    # restarts, with k-th restart's population base * inc_popsize ** k.
    space = {"a": ts.Int(0, 3), "b": ts.Int(0, 3)}
    strategy = CMAES(population_size=population_size, restart="ipop", inc_popsize=3)
    study = ts.create_study(strategy=strategy, space=space, seed=0)
    study.optimize(lambda t: (t.params["a"] - 1) ** 2 + (t.params["b"] - 2) ** 2, n_trials=400)
    sizes = [len(g) for g in batches(study)]
    runs = [size for i, size in enumerate(sizes) if i == 0 or size != sizes[i - 1]]
    assert len(runs) >= 3
    assert runs == [base * 3**k for k in range(len(runs))]
    assert sizes == sorted(sizes)


# -- failures -----------------------------------------------------------------------------------
def test_failed_and_pruned_members_rank_last_and_the_search_goes_on():
    space = {"x": ts.Float(-4, 4), "y": ts.Float(-4, 4)}

    def objective(trial):
        x, y = trial.params["x"], trial.params["y"]
        if x < -1:
            raise ValueError("diverged")
        if y > 2:
            raise ts.TrialPruned()
        return (x - 1) ** 2 + (y - 1) ** 2

    study = ts.create_study(strategy=CMAES(), space=space, seed=2)
    study.optimize(objective, n_trials=150)
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.FAIL] > 0 and states[TrialState.PRUNED] > 0
    assert study.best_value < 1e-3
    late = study.trials[-30:]
    assert sum(t.state is not TrialState.COMPLETE for t in late) <= 3


def test_ranking_puts_complete_first_then_pruned_then_failed():
    strategy = CMAES()
    strategy.directions = ("maximize",)
    space = {"x": ts.Float(0, 1)}

    def frozen(number, x, state, value=None):
        values = None if value is None else (value,)
        return ts.FrozenTrial(number, state, {"x": x}, dict(space), values=values)

    members = [
        frozen(0, 0.1, TrialState.FAIL),
        frozen(1, 0.2, TrialState.COMPLETE, 3.0),
        frozen(2, 0.3, TrialState.PRUNED, 99.0),
        frozen(3, 0.4, TrialState.COMPLETE, 5.0),
    ]
    solutions = strategy._solutions(members, space)
    assert [round(float(x[0]), 6) for x, _ in solutions] == [0.2, 0.4, 0.3, 0.1]
    assert [f for _, f in solutions] == [-3.0, -5.0, -3.0, -3.0]  # losses; the worst for the rest
    assert strategy._solutions(members[:1], space) is None


def test_a_generation_that_all_failed_is_sampled_again():
    calls = {"n": 0}

    def objective(trial):
        calls["n"] += 1
        if trial.number < 8:
            raise RuntimeError("cold start")
        return ellipsoid(trial)

    study = ts.create_study(strategy=CMAES(), space=SPHERE5, seed=0)
    study.optimize(objective, n_trials=48)
    assert all(t.state is TrialState.FAIL for t in study.trials[:8])
    assert all(t.state is TrialState.COMPLETE for t in study.trials[8:])
    first, second = batches(study)[:2]
    assert [t.params for t in first] != [t.params for t in second]


def test_enqueued_trials_are_evaluated_but_not_told():
    study = ts.create_study(strategy=CMAES(), space=SPHERE5, seed=0)
    study.enqueue({f"x{i}": 1.0 for i in range(5)})
    study.optimize(ellipsoid, n_trials=40)
    assert study.trials[0].value == 0.0 and "batch" not in study.trials[0].system_attrs
    generations = batches(study)
    assert generations[0][0].number == 1 and [len(g) for g in generations] == [8] * 5


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, rule",
    [
        ({"sigma0": 0}, "a float in (0, 1]"),
        ({"sigma0": 1.5}, "a float in (0, 1]"),
        ({"sigma0": float("nan")}, "a float in (0, 1]"),
        ({"population_size": 3}, "an int >= 4 or None"),
        ({"population_size": 8.0}, "an int >= 4 or None"),
        ({"population_size": True}, "an int >= 4 or None"),
        ({"restart": "sep"}, "one of 'ipop', 'bipop', None"),
        ({"inc_popsize": 0.5}, "a float >= 1"),
    ],
)
def test_validation_messages(kwargs, rule):
    ((name, got),) = kwargs.items()
    message = f"The {name!r} parameter of CMAES must be {rule}. Got {got!r} instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        CMAES(**kwargs)


def test_several_objectives_are_refused():
    # Refused by check (create_study may call it) or at the latest by the first proposal.
    message = "Strategy 'cmaes' optimizes one objective; this study has 2 directions: use"
    with pytest.raises(ValueError, match=re.escape(message)):
        study = ts.create_study(strategy=CMAES(), space=SPHERE5, directions=["minimize"] * 2)
        study.ask()


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cmaes", None)
    with pytest.raises(ImportError, match=re.escape('pip install "tunesmith[cmaes]"')):
        CMAES()


def test_choice_only_space_is_searched_at_random_and_repr():
    space = {"k": ts.Choice(["a", "b", "c"]), "m": ts.Choice([1, 2])}
    study = ts.create_study(strategy=CMAES(), space=space, seed=0)
    study.optimize(lambda t: float(t.params["m"]), n_trials=12)
    assert study.best_value == 1.0
    assert (
        repr(CMAES())
        == f"CMAES(sigma0={1 / 6!r}, population_size=None, restart='ipop', inc_popsize=2.0)"
    )
