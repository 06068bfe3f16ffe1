"""Grid search: the order of the points and the points handed out again after failures."""

import numpy as np

import tunesmith as ts
from tunesmith.strategies import Grid


def test_point_freed_after_later_points_are_handed_out_is_handed_out_again():
    # Point 0 is still running while every later point is handed out and finished; when its
    # trial then fails, retry_failed must hand it out again (the scan starts over).
    space = {"a": ts.Choice([0, 1, 2, 3])}
    study = ts.create_study(space=space, strategy=Grid(retry_failed=True))
    first = study.ask()
    assert first.params == {"a": 0}
    later = [study.ask() for _ in range(3)]
    assert [t.params["a"] for t in later] == [1, 2, 3]
    for t in later:
        study.tell(t, float(t.params["a"]))
    study.tell(first, state=ts.TrialState.FAIL)
    again = study.ask()
    assert again.params == {"a": 0}
    study.tell(again, 0.0)
    assert sorted(t.params["a"] for t in study.trials) == [0, 0, 1, 2, 3]
    assert [t.state for t in study.trials].count(ts.TrialState.FAIL) == 1


def test_freed_point_comes_before_untouched_points_on_the_strategy_alone():
    # The strategy by itself: a failure frees point 0 after the scan has passed it, while
    # points 2 and 3 are still untouched; the next proposals are 0, then 2 and 3.
    space = {"a": ts.Choice([0, 1, 2, 3])}
    grid = Grid(retry_failed=True)
    dists = dict(space)

    def trial(number, a, state):
        values = (float(a),) if state is ts.TrialState.COMPLETE else None
        return ts.FrozenTrial(number, state, {"a": a}, dists, values=values)

    rng = np.random.default_rng(0)  # unused by Grid
    running = [trial(0, 0, ts.TrialState.RUNNING), trial(1, 1, ts.TrialState.COMPLETE)]
    assert grid.propose(running, space, 1, rng) == [{"a": 2}]
    failed = [trial(0, 0, ts.TrialState.FAIL), trial(1, 1, ts.TrialState.COMPLETE)]
    assert grid.propose(failed, space, 3, rng) == [{"a": 0}, {"a": 2}, {"a": 3}]
