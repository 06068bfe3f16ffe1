"""Random search on a small finite space: no point twice while unused ones remain, then
exhausted; elsewhere (and before any repeat) the same draws as independent sampling."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.records import SystemKey
from tunesmith.strategies.base import params_key, sample_unit
from tunesmith.strategies.random import MAX_POINTS, Random

TEN = {"a": ts.Int(0, 4), "b": ts.Choice(["u", "v"])}  # 10 points
MIXED_FINITE = {
    "q": ts.Float(0.0, 1.0, step=0.25),
    "n": ts.Int(1, 100, log=True),
    "k": ts.Choice([1, True, "1"]),
}  # 5 * 100 * 3 = 1500 points
COMPLETE, RUNNING, FAIL = ts.TrialState.COMPLETE, ts.TrialState.RUNNING, ts.TrialState.FAIL


def frozen(number: int, params: dict[str, Any], space: Any, state=COMPLETE, **attrs: Any):
    values = (0.0,) if state is COMPLETE else None
    return ts.FrozenTrial(
        number, state, dict(params), dict(space), values=values, system_attrs=attrs
    )


def every_point(space: Any) -> list[dict[str, Any]]:
    return ts.space.grid_points(space)


def keys(points: list[dict[str, Any]]) -> list[str]:
    return [params_key(p) for p in points]


def test_a_study_evaluates_every_point_once_then_is_exhausted():
    study = ts.create_study(strategy="random", space=TEN, seed=0)
    study.optimize(lambda t: t.params["a"], n_trials=40)
    assert sorted(keys([t.params for t in study.trials])) == sorted(keys(every_point(TEN)))
    with pytest.raises(ts.StudyExhausted):
        study.ask()


def test_the_same_seed_gives_the_same_trials_in_a_serial_run():
    def run(seed: int) -> list[dict[str, Any]]:
        study = ts.create_study(strategy="random", space=MIXED_FINITE, seed=seed)
        study.optimize(lambda t: t.params["q"], n_trials=300)
        return [t.params for t in study.trials]

    first = run(5)
    assert len(set(keys(first))) == 300  # drawn independently, 93-96 of these 300 repeat
    assert run(5) == first and run(6) != first


@pytest.mark.parametrize("n", [1, 3, 4, 25])
def test_one_call_never_repeats_a_held_point_nor_itself(n):
    held, free = every_point(TEN)[:6], every_point(TEN)[6:]
    history = [frozen(i, p, TEN) for i, p in enumerate(held)]
    for seed in range(20):
        out = keys(Random().propose(history, TEN, n, np.random.default_rng(seed)))
        assert len(out) == len(set(out)) == min(n, len(free))
        assert set(out) <= set(keys(free))


def test_a_full_space_gives_nothing_and_a_lost_trial_gives_its_point_back():
    points = every_point(TEN)
    history = [frozen(i, p, TEN) for i, p in enumerate(points)]
    rng = np.random.default_rng(0)
    assert Random().propose(history, TEN, 3, rng) == []
    history[4] = frozen(4, points[4], TEN, FAIL)  # failed by the objective: still held
    assert Random().propose(history, TEN, 3, rng) == []
    history[4] = frozen(4, points[4], TEN, FAIL, **{SystemKey.LOST: True})
    assert Random().propose(history, TEN, 3, rng) == [points[4]]


def test_a_running_trial_holds_its_point():
    points = every_point(TEN)
    history = [frozen(i, p, TEN, RUNNING) for i, p in enumerate(points[:-1])]
    for seed in range(10):
        assert Random().propose(history, TEN, 2, np.random.default_rng(seed)) == [points[-1]]


def test_draws_that_land_on_free_points_are_the_independent_draws():
    space = {"i": ts.Int(0, MAX_POINTS - 1)}  # finite, as large as it gets
    history = [frozen(0, {"i": 7}, space)]
    rng = [3, 1]
    expected = sample_unit(space, 6, np.random.default_rng(rng))
    assert Random().propose(history, space, 6, np.random.default_rng(rng)) == expected


@pytest.mark.parametrize(
    "space",
    [{"i": ts.Int(0, MAX_POINTS)}, {"i": ts.Int(0, 9), "x": ts.Float(0.0, 1.0)}, {}],
    ids=["too-many-points", "continuous", "define-by-run"],
)
def test_other_spaces_draw_independently_of_the_history(space):
    rng = [3, 1]
    expected = sample_unit(space, 4, np.random.default_rng(rng))
    history = [frozen(i, p, space) for i, p in enumerate(expected)]  # every draw already held
    assert Random().propose(history, space, 4, np.random.default_rng(rng)) == expected


def test_a_held_draw_is_replaced_by_a_free_point_chosen_at_random():
    space = {"a": ts.Int(0, 9)}
    history = [frozen(i, {"a": i}, space) for i in range(2, 10)]  # 0 and 1 are free
    picks = [
        Random().propose(history, space, 1, np.random.default_rng(seed))[0]["a"]
        for seed in range(200)
    ]
    assert set(picks) == {0, 1}
    assert 60 < picks.count(0) < 140


def test_a_random_search_that_has_read_a_history_pickles_and_goes_on_the_same():
    points = every_point(TEN)
    history = [frozen(i, p, TEN) for i, p in enumerate(points[:8])]
    strategy = Random()
    assert len(strategy.propose(history, TEN, 1, np.random.default_rng(0))) == 1
    copy = pickle.loads(pickle.dumps(strategy))  # studies are pickled for process pools
    history.append(frozen(8, points[8], TEN))
    assert copy.propose(history, TEN, 3, np.random.default_rng(1)) == [points[9]]
    assert strategy.propose(history, TEN, 3, np.random.default_rng(1)) == [points[9]]
