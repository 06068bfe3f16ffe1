"""Grid never loses a point: a trial whose machine failed (FAIL marked lost) gives its point back,
one failed by the objective keeps it; built from hand-made histories."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.records import SystemKey
from tunesmith.strategies import Grid

SPACE = {"a": ts.Choice([0, 1, 2, 3])}
RUNNING, COMPLETE, FAIL = ts.TrialState.RUNNING, ts.TrialState.COMPLETE, ts.TrialState.FAIL
WAITING = ts.TrialState.WAITING


def trial(number: int, a: int, state: ts.TrialState, **attrs: Any) -> ts.FrozenTrial:
    values = (float(a),) if state is COMPLETE else None
    return ts.FrozenTrial(number, state, {"a": a}, dict(SPACE), values=values, system_attrs=attrs)


def lost(number: int, a: int) -> ts.FrozenTrial:
    return trial(number, a, FAIL, **{SystemKey.LOST: True})


def propose(grid: Grid, history: list[ts.FrozenTrial], n: int = 4) -> list[int]:
    return [p["a"] for p in grid.propose(history, SPACE, n, np.random.default_rng(0))]


def test_a_lost_trial_gives_its_point_back():
    history = [lost(0, 0), trial(1, 1, COMPLETE)]
    assert propose(Grid(), history) == [0, 2, 3]


@pytest.mark.parametrize(
    "holder",
    [
        trial(2, 0, WAITING, **{SystemKey.RETRY_OF: 0}),  # the retry the study queued
        trial(2, 0, RUNNING),
        trial(2, 0, COMPLETE),
        trial(2, 0, FAIL),  # failed by the objective: it keeps the point
    ],
    ids=["retry-waiting", "running", "complete", "failed"],
)
def test_a_lost_point_another_trial_holds_is_not_proposed(holder):
    history = [lost(0, 0), trial(1, 1, COMPLETE), holder]
    assert propose(Grid(), history) == [2, 3]


def test_a_trial_failed_by_the_objective_keeps_its_point_unless_failures_are_retried():
    history = [trial(0, 0, FAIL), trial(1, 1, COMPLETE)]
    assert propose(Grid(), history) == [2, 3]
    assert propose(Grid(), [trial(0, 0, FAIL, **{SystemKey.LOST: False}), history[1]]) == [2, 3]
    assert propose(Grid(retry_failed=True), history) == [0, 2, 3]


def test_a_running_trial_lost_later_gives_its_point_back_before_untouched_ones():
    grid = Grid()
    running = [trial(0, 0, RUNNING), trial(1, 1, COMPLETE)]
    assert propose(grid, running, 1) == [2]
    handed = [*running, trial(2, 2, RUNNING)]
    assert propose(grid, handed, 1) == [3]  # the scan has passed point 0
    after = [lost(0, 0), running[1], trial(2, 2, COMPLETE), trial(3, 3, RUNNING)]
    assert propose(grid, after, 4) == [0]
    assert propose(grid, [*after, trial(4, 0, RUNNING)], 4) == []  # held again


def test_a_finished_grid_with_a_lost_trial_is_not_exhausted_until_its_point_is_run():
    history = [trial(i, i, COMPLETE) for i in range(4)]
    assert propose(Grid(), history) == []
    history[2] = lost(2, 2)
    assert propose(Grid(), history) == [2]
    history.append(trial(4, 2, COMPLETE))
    assert propose(Grid(), history) == []


def test_a_grid_that_has_read_a_history_pickles_and_goes_on_the_same():
    grid = Grid()
    history = [lost(0, 0), trial(1, 1, COMPLETE)]
    assert propose(grid, history, 1) == [0]
    copy = pickle.loads(pickle.dumps(grid))  # studies are pickled for process pools
    history.append(trial(2, 0, RUNNING))
    assert propose(copy, history) == propose(grid, history) == [2, 3]
