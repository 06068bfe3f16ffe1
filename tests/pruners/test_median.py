"""Median pruning: the documented stop rule on hand-made curves, and one real study."""

from __future__ import annotations

import math

import pytest

import tunesmith as ts
from tunesmith.pruners import Median, Pruner
from tunesmith.trial import FrozenTrial, TrialState


def curve(
    number: int, values: dict[int, float], state: TrialState = TrialState.COMPLETE
) -> FrozenTrial:
    last = values[max(values)] if values and state is not TrialState.RUNNING else None
    return FrozenTrial(
        number, state, {}, {}, values=None if last is None else (last,), intermediate=dict(values)
    )


# Five completed curves; the median at step s is 8 - 2s (trial 2's value).
DONE = [curve(i, {s: 10.0 - i - 2 * s for s in range(5)}) for i in range(5)]
MIN, MAX = ("minimize",), ("maximize",)


def ask(pruner: Pruner, values: dict[int, float], history=DONE, directions=MIN) -> bool:
    return pruner.prune(curve(99, values, TrialState.RUNNING), history, directions)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({0: 8.0}, False),  # equal to the median is not worse
        ({0: 8.5}, True),
        ({0: 9.0, 1: 5.9}, False),  # best so far below the median at step 1 (6)
        ({0: 9.0, 1: 6.1}, True),
        ({0: 3.0, 1: 7.0, 2: 4.5}, False),  # best so far (3) counts, not the last value
        ({0: 9.0, 1: 7.0, 2: 4.5}, True),
    ],
)
def test_prunes_when_best_so_far_is_worse_than_the_median_at_the_step(values, expected):
    assert ask(Median(), values) is expected
    flipped = {s: -v for s, v in values.items()}
    maximize = [curve(t.number, {s: -v for s, v in t.intermediate.items()}) for t in DONE]
    assert ask(Median(), flipped, maximize, MAX) is expected


def test_waits_for_startup_trials_and_ignores_unfinished_and_pruned_ones():
    assert ask(Median(n_startup_trials=6), {0: 100.0}) is False
    extra = [
        curve(5, {0: -50.0, 1: -50.0}, TrialState.PRUNED),
        curve(6, {0: -50.0}, TrialState.FAIL),
        curve(99, {}, TrialState.RUNNING),  # the asking trial itself
    ]
    assert ask(Median(n_startup_trials=6), {0: 100.0}, DONE + extra) is False
    assert ask(Median(), {0: 8.0}, DONE + extra) is False  # the median is still 8
    assert ask(Median(), {0: 100.0}, []) is False  # no completed trial yet


def test_warmup_steps():
    pruner = Median(n_warmup_steps=2)
    assert ask(pruner, {0: 100.0}) is False
    assert ask(pruner, {0: 100.0, 1: 100.0}) is False
    assert ask(pruner, {0: 100.0, 1: 100.0, 2: 100.0}) is True


def test_interval_steps_check_the_first_report_of_each_interval():
    pruner = Median(interval_steps=2)
    assert ask(pruner, {0: 100.0}) is True
    assert ask(pruner, {0: 100.0, 1: 100.0}) is False  # step 1 shares the interval of step 0
    assert ask(pruner, {0: 100.0, 1: 100.0, 2: 100.0}) is True
    assert ask(pruner, {0: 100.0, 3: 100.0}) is True  # the first report in [2, 4)
    late = Median(n_warmup_steps=1, interval_steps=3)  # checks at 1, 4, 7, ...
    assert ask(late, {0: 100.0}) is False
    assert ask(late, {0: 100.0, 1: 100.0}) is True
    assert ask(late, {0: 100.0, 1: 100.0, 2: 100.0}) is False
    assert ask(late, {0: 100.0, 1: 100.0, 2: 100.0, 3: 100.0, 4: 100.0}) is True


def test_steps_nobody_reported_and_nan_values():
    assert ask(Median(), {0: 1.0, 7: 100.0}) is False  # no completed trial has step 7
    assert ask(Median(), {0: math.nan}) is True
    with_nan = DONE + [curve(5, {0: math.nan}), curve(6, {0: math.nan})]
    assert ask(Median(), {0: 8.0}, with_nan) is False  # NaN curves are left out of the median


def test_rejects_bad_arguments_and_several_objectives():
    with pytest.raises(ValueError) as info:
        Median(n_startup_trials=-1)
    assert str(info.value) == (
        "The 'n_startup_trials' parameter of Median must be an int >= 0. Got -1 instead."
    )
    with pytest.raises(
        ValueError, match="'interval_steps' parameter of Median must be an int >= 1"
    ):
        Median(interval_steps=0)
    with pytest.raises(ValueError, match="'n_warmup_steps'.*Got 1.5 instead"):
        Median(n_warmup_steps=1.5)
    with pytest.raises(ValueError, match="single-objective"):
        ask(Median(), {0: 1.0}, directions=("minimize", "maximize"))


def test_study_with_median_pruning_prunes_the_bad_curves():
    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(10):
            value = x + 1.0 / (step + 1)
            trial.report(value, step)
            if trial.should_prune():
                raise ts.TrialPruned()
        return value

    study = ts.create_study(pruner=ts.pruners.Median(n_startup_trials=3), seed=0)
    study.optimize(objective, n_trials=30)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert len(pruned) >= 8 and len(done) >= 3
    for t in pruned:
        assert t.last_step < 9 and t.value == t.intermediate[t.last_step]
    # every pruned trial was worse than the median of the trials completed before it
    assert min(t.params["x"] for t in done) < min(t.params["x"] for t in pruned)
