"""Successive halving (ASHA) and Hyperband: rungs, promotion, brackets, on hand-made curves."""

from __future__ import annotations

import math
from collections import Counter

import pytest

import tunesmith as ts
from tunesmith.pruners import Hyperband, SuccessiveHalving
from tunesmith.trial import FrozenTrial, TrialState

MIN, MAX = ("minimize",), ("maximize",)


def curve(
    number: int, values: dict[int, float], state: TrialState = TrialState.PRUNED
) -> FrozenTrial:
    return FrozenTrial(number, state, {}, {}, intermediate=dict(values))


def ask(pruner, values: dict[int, float], history, directions=MIN, number: int = 99) -> bool:
    return pruner.prune(curve(number, values, TrialState.RUNNING), history, directions)


# Eight finished trials that reached rung 1 (step 1) with values 1..8.
RUNG1 = [curve(i, {0: 50.0, 1: float(i + 1)}) for i in range(8)]


def test_rungs_sit_at_min_resource_times_powers_of_eta():
    assert [SuccessiveHalving().rung(k) for k in range(4)] == [1, 3, 9, 27]
    sh = SuccessiveHalving(min_resource=2, reduction_factor=2, min_early_stopping_rate=1)
    assert [sh.rung(k) for k in range(3)] == [4, 8, 16]


@pytest.mark.parametrize("value, pruned", [(2.5, False), (3.0, False), (3.5, True), (0.5, False)])
def test_promoted_iff_in_the_top_third_of_the_rung(value, pruned):
    # nine values at rung 1 with the trial's own: the best 9 // 3 = 3 go on (ties go on)
    assert ask(SuccessiveHalving(), {0: 50.0, 1: value}, RUNG1) is pruned
    flipped = [curve(t.number, {s: -v for s, v in t.intermediate.items()}) for t in RUNG1]
    assert ask(SuccessiveHalving(), {0: -50.0, 1: -value}, flipped, MAX) is pruned


@pytest.mark.parametrize("eta", [2, 3, 4])
@pytest.mark.parametrize("n", [2, 4, 5, 7, 8, 10, 11, 13])
def test_a_rung_of_any_size_keeps_floor_n_over_eta(n, eta):
    # n values at the rung (the trial's own included), n not always a multiple of eta: the
    # best floor(n / eta) go on (at least one), the next one is pruned.
    keep = max(1, n // eta)
    assert keep == max(1, math.floor(n / eta))
    pruner = SuccessiveHalving(reduction_factor=eta)
    others = [curve(i, {1: float(2 * i + 2)}) for i in range(n - 1)]  # 2, 4, ..., 2(n - 1)
    outcomes = [ask(pruner, {1: 2.0 * rank + 1.0}, others) for rank in range(n)]  # 1, 3, 5...
    assert outcomes == [False] * keep + [True] * (n - keep)  # rank r beats n - 1 - r others
    flipped = [curve(t.number, {1: -t.intermediate[1]}) for t in others]
    for rank in (keep - 1, keep):
        if rank < n:
            assert ask(pruner, {1: -(2.0 * rank + 1.0)}, flipped, MAX) is (rank >= keep)


def test_a_rung_is_judged_once_at_the_report_that_reaches_it():
    assert ask(SuccessiveHalving(), {0: 0.0, 1: 1.0, 2: 100.0}, RUNG1) is False
    assert ask(SuccessiveHalving(), {0: 100.0}, RUNG1) is False  # below the first rung
    assert ask(SuccessiveHalving(min_early_stopping_rate=1), {0: 0.0, 1: 100.0}, RUNG1) is False


def test_first_trials_at_a_rung_must_be_the_best_so_far():
    assert ask(SuccessiveHalving(), {1: 100.0}, []) is False  # alone at the rung
    one = [curve(0, {1: 5.0}, TrialState.COMPLETE)]
    assert ask(SuccessiveHalving(), {1: 6.0}, one) is True  # 2 // 3 = 0, so keep the best one
    assert ask(SuccessiveHalving(), {1: 4.0}, one) is False


def test_only_finished_trials_that_reached_the_rung_compete():
    others = [
        curve(0, {0: 0.0}),  # never reached step 1
        curve(1, {0: 0.0, 1: 0.0}, TrialState.FAIL),
        curve(2, {}, TrialState.RUNNING),
        curve(3, {1: 5.0}, TrialState.COMPLETE),
    ]
    assert ask(SuccessiveHalving(), {1: 4.0}, others) is False
    assert ask(SuccessiveHalving(), {1: 6.0}, others) is True


def test_a_report_that_jumps_rungs_is_judged_at_each_with_its_first_value_past_it():
    # rung 1 values: 1..8, 0.1 (trial 10's step 2), 0.2 (trial 11's step 3); the best 3 of 11 go on
    # rung 3 values: 0.3 (trial 10's step 4), 0.2 (trial 11's step 3); the best 1 of 3 goes on
    history = RUNG1 + [
        curve(10, {0: 9.0, 2: 0.1, 4: 0.3}),
        curve(11, {3: 0.2, 4: 0.0}, TrialState.COMPLETE),
    ]
    assert ask(SuccessiveHalving(), {0: 9.0, 5: 0.5}, history) is True  # passes 1, fails 3
    assert ask(SuccessiveHalving(), {0: 9.0, 5: 0.25}, history) is True
    assert ask(SuccessiveHalving(), {0: 9.0, 5: 0.1}, history) is False  # 0.0 came after rung 3
    assert ask(SuccessiveHalving(), {0: 9.0, 5: 2.0}, history) is True  # fails rung 1


def test_nan_is_pruned_and_bad_arguments_are_refused():
    assert ask(SuccessiveHalving(), {1: math.nan}, []) is True
    with pytest.raises(ValueError) as info:
        SuccessiveHalving(reduction_factor=1)
    assert str(info.value) == (
        "The 'reduction_factor' parameter of SuccessiveHalving must be an int >= 2. Got 1 instead."
    )
    with pytest.raises(ValueError, match="'min_resource' parameter of SuccessiveHalving"):
        SuccessiveHalving(min_resource=0)
    with pytest.raises(ValueError, match="'min_early_stopping_rate'"):
        SuccessiveHalving(min_early_stopping_rate=-1)
    with pytest.raises(ValueError, match="single-objective"):
        ask(SuccessiveHalving(), {1: 1.0}, [], ("minimize", "minimize"))


# -- Hyperband ----------------------------------------------------------------------------------
def test_brackets_follow_hyperband_sizes():
    hb = Hyperband(min_resource=1, max_resource=81, reduction_factor=3)
    assert hb.n_brackets(81) == 5 and hb.n_brackets(80) == 4 and hb.n_brackets(1) == 1
    counts = Counter(hb.bracket(i, 81) for i in range(143))
    assert counts == {0: 81, 1: 34, 2: 15, 3: 8, 4: 5}  # Li et al. 2017, table 1 (R=81)
    assert [hb.bracket(i, 81) for i in range(143, 286)] == [hb.bracket(i, 81) for i in range(143)]


def test_trials_compete_only_within_their_bracket():
    hb = Hyperband(min_resource=1, max_resource=9, reduction_factor=3)
    by_bracket: dict[int, list[int]] = {}
    for i in range(17):
        by_bracket.setdefault(hb.bracket(i, 9), []).append(i)
    a, b = by_bracket[0][:2]
    c = by_bracket[1][0]
    history = [curve(a, {1: 5.0}), curve(c, {1: 0.0, 3: 0.0}, TrialState.COMPLETE)]
    assert ask(hb, {1: 4.0}, history, number=b) is False  # only a (5.0) is its rival
    assert ask(SuccessiveHalving(), {1: 4.0}, history) is True  # against everyone it loses
    # bracket 1 starts halving at step 3: a bad value at step 1 is not judged
    d = by_bracket[1][1]
    assert ask(hb, {1: 100.0}, history, number=d) is False
    assert ask(hb, {1: 100.0, 3: 100.0}, history, number=d) is True


def test_auto_max_resource_waits_for_a_completed_trial():
    hb = Hyperband()
    first, *mates = [i for i in range(100) if hb.bracket(i, 26) == 0][:3]
    unfinished = [curve(mates[0], {1: 0.0}, TrialState.RUNNING)]
    assert ask(hb, {1: 100.0}, unfinished, number=first) is False
    done = [curve(i, {1: 0.0, 26: 0.0}, TrialState.COMPLETE) for i in mates]
    assert hb._max_resource(done) == 26 and hb.n_brackets(26) == 3  # rungs 1, 3, 9
    assert ask(hb, {1: 100.0}, done, number=first) is True


def test_hyperband_rejects_bad_arguments():
    with pytest.raises(ValueError) as info:
        Hyperband(min_resource=5, max_resource=3)
    assert str(info.value) == (
        "The 'max_resource' parameter of Hyperband must be 'auto' or an int >= min_resource "
        "(5). Got 3 instead."
    )
    with pytest.raises(ValueError, match="'reduction_factor' parameter of Hyperband"):
        Hyperband(reduction_factor=1)


@pytest.mark.parametrize("pruner", [SuccessiveHalving(), Hyperband(max_resource=27)])
def test_studies_with_halving_prune_and_keep_the_best(pruner):
    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(28):
            value = x + 1.0 / (step + 1)
            trial.report(value, step)
            if trial.should_prune():
                raise ts.TrialPruned()
        return value

    study = ts.create_study(pruner=pruner, seed=1, direction="minimize")
    study.optimize(objective, n_trials=30)
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.PRUNED] >= 10 and states[TrialState.COMPLETE] >= 1
    best_x = min(t.params["x"] for t in study.trials)
    assert study.best_trial.params["x"] == best_x
