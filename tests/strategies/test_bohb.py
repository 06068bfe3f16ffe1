"""BOHB on a synthetic multi-fidelity function: promotions as the pruner says, the model on the
largest budget with enough results, proposals near the optimum, resume, settings."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.records import dumps
from tunesmith.space import Choice, Float, Int
from tunesmith.strategies import from_attrs, to_attrs
from tunesmith.strategies.bohb import BOHB, FINAL, model_budget, observations
from tunesmith.trial import FrozenTrial, TrialState

STEPS = (1, 3, 9, 27)  # the rungs of Hyperband(min_resource=1, max_resource=27, eta=3)
SPACE = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
OPTIMUM = np.array([0.3, 0.6])
ONE = ("minimize",)
NOISE = 0.1


def multi_fidelity(trial: ts.Trial) -> float:
    """f(x, y, budget) = (x - 0.3)^2 + (y - 0.6)^2 + 0.1 noise / sqrt(budget), reported per rung."""
    x, y = trial.params["x"], trial.params["y"]
    noise = np.random.default_rng(trial.number)
    value = math.inf
    for step in STEPS:
        value = (x - 0.3) ** 2 + (y - 0.6) ** 2 + NOISE * noise.standard_normal() / math.sqrt(step)
        trial.report(value, step)
        if trial.should_prune():
            raise ts.TrialPruned()
    return value


def hyperband() -> ts.pruners.Hyperband:
    return ts.pruners.Hyperband(min_resource=1, max_resource=27, reduction_factor=3)


def run(strategy: Any, seed: int, n: int, pruner: Any = None, **kw: Any) -> ts.Study:
    study = ts.create_study(space=SPACE, strategy=strategy, seed=seed, pruner=pruner, **kw)
    study.optimize(multi_fidelity, n_trials=n, progress=False)
    return study


def ran(number: int, last: int | None, state: str = "PRUNED", x: float = 0.5) -> FrozenTrial:
    """A trial at ``x`` that reported at every rung up to ``last`` (None: reported nothing)."""
    steps = [s for s in STEPS if last is not None and s <= last]
    values = (float(number),) if state == "COMPLETE" else None
    return FrozenTrial(
        number, TrialState(state), {"x": x, "y": 0.5}, {}, values=values,
        intermediate={s: float(number + s) for s in steps},
    )  # fmt: skip


# -- promotions: the study stops trials exactly where the pruner says ----------------------------
@pytest.mark.parametrize(
    "pruner", [hyperband, ts.pruners.SuccessiveHalving], ids=["hyperband", "halving"]
)
def test_promotions_happen_as_the_pruner_says(pruner):
    study = run(BOHB(), seed=0, n=45, pruner=pruner())
    trials = study.trials
    judge = pruner()
    for t in trials:  # replay each report against the trials finished before it
        said = [
            judge.prune(_up_to(t, step), trials[: t.number], ONE) for step in sorted(t.intermediate)
        ]
        pruned = t.state is TrialState.PRUNED
        assert said == [False] * (len(said) - 1) + [pruned], (t.number, said, t.state)
    reached = [sum((t.last_step or 0) >= s for t in trials) for s in STEPS]
    assert reached[0] == 45 and study.strategy.last_budget == 27.0  # the model was in use
    assert all(a > b > 0 for a, b in zip(reached, reached[1:])), reached


def _up_to(t: FrozenTrial, step: int) -> FrozenTrial:
    seen = {s: v for s, v in t.intermediate.items() if s <= step}
    return FrozenTrial(t.number, TrialState.RUNNING, t.params, t.distributions, intermediate=seen)


# -- which budget the model is fitted on --------------------------------------------------------
@pytest.mark.parametrize(
    "trials, expected",
    [
        ([], None),
        ([ran(0, 1), ran(1, 1)], None),  # two observations at step 1, three needed
        ([ran(0, 1), ran(1, 1), ran(2, 1)], 1.0),
        ([ran(0, 1), ran(1, 3), ran(2, 3), ran(3, 9)], 3.0),  # 3 reached step 3
        ([ran(0, 3), ran(1, 9), ran(2, 27, "COMPLETE"), ran(3, 27, "COMPLETE")], 9.0),
        ([ran(0, 27, "COMPLETE"), ran(1, 27, "COMPLETE"), ran(2, 27), ran(3, 1)], 27.0),
        ([ran(0, 27, "COMPLETE"), ran(1, 27, "FAIL"), ran(2, 27, "RUNNING"), ran(3, 3),
          ran(4, 3)], 3.0),
        ([ran(0, 27, x=2.0), ran(1, 27, x=-1.0), ran(2, 9), ran(3, 9), ran(4, 1)], 1.0),
        ([ran(i, None, "COMPLETE") for i in range(3)], FINAL),  # no reports: returned values
        ([ran(0, None, "COMPLETE"), ran(1, None, "COMPLETE"), ran(2, 9), ran(3, 9), ran(4, 1)],
         1.0),
    ],
    ids=[
        "empty", "too-few", "step-1", "step-3", "complete-count", "pruned-at-27-counts",
        "failed-running-ignored", "outside-space-ignored", "unreported", "unreported-too-few",
    ],
)  # fmt: skip
def test_the_model_budget_is_the_largest_with_enough_observations(trials, expected):
    assert model_budget(trials, SPACE, ONE, 3) == expected


def test_observations_take_the_value_at_the_first_step_at_or_past_the_budget():
    t = FrozenTrial(0, TrialState.PRUNED, {"x": 0.25, "y": 1.0}, {}, intermediate={2: 5.0, 4: 7.0})
    nan = FrozenTrial(1, TrialState.PRUNED, {"x": 0.5, "y": 0.0}, {}, intermediate={4: math.nan})
    done = FrozenTrial(2, TrialState.COMPLETE, {"x": 1.0, "y": 0.5}, {}, values=(-2.0,))
    points, losses = observations([t, nan, done], SPACE, ONE, 3.0)
    assert points.tolist() == [[0.25, 1.0], [0.5, 0.0]] and losses.tolist() == [7.0, math.inf]
    assert observations([t, nan, done], SPACE, ONE, 2.0)[1].tolist() == [5.0, math.inf]
    assert observations([t], SPACE, ("maximize",), 1.0)[1].tolist() == [-5.0]
    points, losses = observations([t, nan, done], SPACE, ONE, FINAL)
    assert points.tolist() == [[1.0, 0.5]] and losses.tolist() == [-2.0]


def misleading_history() -> list[FrozenTrial]:
    """Step 1 says the optimum is at x = 0.8; the five trials that reached step 9 say 0.3."""
    out = []
    for i, x in enumerate(np.linspace(0.0, 1.0, 21)):
        far = i % 4 == 1  # x = 0.05, 0.25, 0.45, 0.65, 0.85 reach step 9
        steps = (1, 3, 9) if far else (1,)
        values = {s: (x - 0.8) ** 2 if s == 1 else (x - 0.3) ** 2 for s in steps}
        out.append(FrozenTrial(i, TrialState.PRUNED, {"x": float(x)}, {}, intermediate=values))
    return out


def test_the_model_is_fitted_on_the_largest_budget_with_enough_results():
    history, space = misleading_history(), {"x": Float(0.0, 1.0)}
    bohb = BOHB(random_fraction=0.0)  # min_points 1 + 1: a budget needs 2 + 2 observations
    xs = [bohb.propose(history, space, 1, np.random.default_rng(s))[0]["x"] for s in range(40)]
    assert bohb.last_budget == 9.0 == model_budget(history, space, ONE, 4)
    assert np.mean(np.abs(np.array(xs) - 0.3)) < 0.12, xs  # step 1 would pull them to 0.8
    assert np.mean(np.abs(np.array(xs) - 0.8)) > 0.35, xs
    assert BOHB(min_points=5).propose(history, space, 1, np.random.default_rng(0))
    early = BOHB(random_fraction=0.0, min_points=5)  # 7 needed: only steps 1 and 3 have them
    xs = [early.propose(history, space, 1, np.random.default_rng(s))[0]["x"] for s in range(40)]
    assert early.last_budget == 1.0
    assert np.mean(np.abs(np.array(xs) - 0.8)) < 0.2, xs


def test_pruned_as_bad_keeps_proposals_out_of_regions_the_pruner_stopped():
    space = {"x": Float(0.0, 1.0)}
    history = [t for t in misleading_history() if t.last_step == 9]  # best at 0.25, then 0.45
    stopped = np.linspace(0.2, 0.4, 16)  # pruned at step 1 around the best observation
    history += [
        FrozenTrial(len(history) + i, TrialState.PRUNED, {"x": float(x)}, {}, intermediate={1: 1.0})
        for i, x in enumerate(stopped)
    ]  # fmt: skip
    near = {}
    for flag in (False, True):
        bohb = BOHB(random_fraction=0.0, pruned_as_bad=flag)
        xs = [bohb.propose(history, space, 1, np.random.default_rng(s))[0]["x"] for s in range(40)]
        assert bohb.last_budget == 9.0
        near[flag] = np.mean((np.array(xs) >= 0.2) & (np.array(xs) <= 0.4))
    assert near[False] > 0.5 > near[True], near


def test_uniform_draws_until_a_budget_has_enough_results():
    bohb, space = BOHB(), {"x": Float(0.0, 1.0)}
    few = misleading_history()[:3]  # three observations at step 1; a budget needs 2 + 2
    draws = [bohb.propose(few, space, 1, np.random.default_rng(s))[0]["x"] for s in range(200)]
    assert bohb.last_budget is None
    assert np.mean(np.array(draws) > 0.5) == pytest.approx(0.5, abs=0.1)  # step 1: near 0.1


@pytest.mark.parametrize("fraction", [0.0, 1 / 3, 0.5, 1.0])
def test_a_random_fraction_of_the_proposals_are_uniform_draws(monkeypatch, fraction):
    monkeypatch.setattr(BOHB, "_pick", lambda *args: np.array([0.5]))  # a model pick: x = 0.5
    bohb, space = BOHB(random_fraction=fraction), {"x": Float(0.0, 1.0)}
    rows = bohb.propose(misleading_history(), space, 600, np.random.default_rng(0))
    assert bohb.last_budget == 9.0
    assert np.mean([p["x"] != 0.5 for p in rows]) == pytest.approx(fraction, abs=0.05)


# -- quality, determinism, resume -----------------------------------------------------------
def test_model_based_proposals_concentrate_near_the_optimum():
    model, uniform = [], []
    for seed in range(5):  # histories of random search under Hyperband; the model reads them
        history = run("random", seed, 40, pruner=hyperband()).trials
        bohb = BOHB(random_fraction=0.0)
        rows = [bohb.propose(history, SPACE, 1, np.random.default_rng(s))[0] for s in range(30)]
        assert bohb.last_budget == 27.0
        xy = np.array([[p["x"], p["y"]] for p in rows])
        model.append(np.mean(np.linalg.norm(xy - OPTIMUM, axis=1)))
        xy = np.array([[t.params["x"], t.params["y"]] for t in history])
        uniform.append(np.mean(np.linalg.norm(xy - OPTIMUM, axis=1)))
    assert np.mean(model) < 0.6 * np.mean(uniform), (model, uniform)
    assert all(a < b for a, b in zip(model, uniform)), (model, uniform)


def test_same_seed_same_trials_and_a_resumed_study_proposes_what_an_uninterrupted_one_would(
    tmp_path,
):
    whole = run(BOHB(), seed=5, n=30, pruner=hyperband())
    other = run(BOHB(), seed=6, n=3, pruner=hyperband())
    assert [t.params for t in other.trials] != [t.params for t in whole.trials[:3]]
    url = f"sqlite:///{tmp_path / 'bohb.db'}"
    part = run(BOHB(), seed=5, n=13, pruner=hyperband(), name="p", storage=url)
    assert part.strategy.last_budget is not None  # the model was in use before the stop
    resumed = ts.load_study("p", storage=url, pruner=hyperband())
    assert repr(resumed.strategy) == repr(BOHB())
    resumed.optimize(multi_fidelity, n_trials=17, progress=False)
    assert [(t.params, t.state) for t in resumed.trials] == [
        (t.params, t.state) for t in whole.trials
    ]


def test_maximize_is_minimize_of_the_negation():
    history = misleading_history()
    negated = [{s: -v for s, v in t.intermediate.items()} for t in history]
    flipped = [FrozenTrial(t.number, t.state, t.params, {}, intermediate=v)
               for t, v in zip(history, negated)]  # fmt: skip
    low, high = BOHB(), BOHB().for_directions(("maximize",))
    space = {"x": Float(0.0, 1.0)}
    assert low.propose(history, space, 4, np.random.default_rng(3)) == high.propose(
        flipped, space, 4, np.random.default_rng(3)
    )


def test_without_reports_the_model_uses_the_returned_values():
    study = ts.create_study(space=SPACE, strategy="bohb", seed=0)
    study.optimize(lambda t: float(np.sum((np.array(list(t.params.values())) - OPTIMUM) ** 2)), 8)
    assert isinstance(study.strategy, BOHB) and study.strategy.last_budget == FINAL


def test_proposals_keep_the_types_of_a_mixed_space_and_a_batch_is_distinct():
    space = {"lr": Float(1e-4, 1.0, log=True), "n": Int(1, 9), "act": Choice(["a", "b", "c"])}
    history = [
        FrozenTrial(i, TrialState.PRUNED, p, {}, intermediate={1: float(p["n"])})
        for i, p in enumerate(BOHB().propose([], space, 12, np.random.default_rng(1)))
    ]
    batch = BOHB(random_fraction=0.0).propose(history, space, 6, np.random.default_rng(2))
    for p in batch:
        assert 1e-4 <= p["lr"] <= 1.0 and type(p["n"]) is int and p["act"] in ("a", "b", "c")
    assert len({json.dumps(p, sort_keys=True) for p in batch}) == 6
    assert BOHB().propose(history, {}, 3, np.random.default_rng(0)) == [{}, {}, {}]


# -- settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, rule",
    [
        ({"random_fraction": 1.5}, "a float in [0, 1]"),
        ({"random_fraction": "1/3"}, "a float in [0, 1]"),
        ({"min_points": 1}, "an int >= 2 or None"),
        ({"min_points": 2.0}, "an int >= 2 or None"),
        ({"gamma": 1.0}, "a float in (0, 1)"),
        ({"gamma": 0}, "a float in (0, 1)"),
        ({"n_ei_candidates": 0}, "an int >= 1"),
        ({"bandwidth_factor": 0.5}, "a float >= 1"),
        ({"prior_weight": 0.0}, "a float > 0"),
        ({"pruned_as_bad": 1}, "a bool"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(kwargs, rule):
    (name, value), = kwargs.items()  # fmt: skip
    with pytest.raises(ValueError) as info:
        BOHB(**kwargs)
    assert str(info.value) == (
        f"The {name!r} parameter of BOHB must be {rule}. Got {value!r} instead."
    )


def test_one_objective_only_refused_before_anything_is_stored():
    with pytest.raises(ValueError, match="^Strategy 'bohb' optimizes one objective; this study"):
        ts.create_study(directions=["minimize", "minimize"], space=SPACE, strategy="bohb")


def test_settings_round_trip_through_the_study_record():
    bohb = BOHB(random_fraction=0.25, min_points=4, gamma=0.3, n_ei_candidates=16,
                bandwidth_factor=2.0, prior_weight=0.5, pruned_as_bad=True)  # fmt: skip
    attrs = to_attrs(bohb)
    assert attrs == {
        "name": "bohb",
        "config": {"random_fraction": 0.25, "min_points": 4, "gamma": 0.3,
                   "n_ei_candidates": 16, "bandwidth_factor": 2.0, "prior_weight": 0.5,
                   "pruned_as_bad": True},
    }  # fmt: skip
    back = from_attrs(json.loads(dumps(attrs)))
    assert type(back) is BOHB and repr(back) == repr(bohb)
    assert repr(BOHB()) == (
        "BOHB(random_fraction=0.3333333333333333, min_points=None, gamma=0.15, "
        "n_ei_candidates=64, bandwidth_factor=3.0, prior_weight=1.0, pruned_as_bad=False)"
    )


def test_bohb_without_a_pruner_gets_hyperband_and_keeps_a_given_one(tmp_path):
    from tunesmith.pruners import Hyperband, Median

    space = {"x": ts.Float(0.0, 1.0)}
    assert isinstance(ts.create_study(strategy="bohb", space=space).pruner, Hyperband)
    assert ts.create_study(strategy="tpe", space=space).pruner is None
    median = Median()
    assert ts.create_study(strategy="bohb", space=space, pruner=median).pruner is median
    url = f"sqlite:///{tmp_path / 'b.db'}"
    ts.create_study("s", storage=url, strategy="bohb", space=space)
    assert isinstance(ts.load_study("s", storage=url).pruner, Hyperband)
