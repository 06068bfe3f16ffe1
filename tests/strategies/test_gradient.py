"""GradientDescent strategy: estimates, steps, restarts, replay from history, validation."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import _spsa
from tunesmith.strategies.gradient import GradientDescent, _Run
from tunesmith.strategies.random import Random
from tunesmith.trial import TrialState

MIXED = {
    "lr": ts.Float(1e-4, 1.0, log=True),
    "x": ts.Float(-3.0, 3.0),
    "q": ts.Float(0.0, 1.0, step=0.25),
    "depth": ts.Int(1, 12),
    "units": ts.Int(8, 512, log=True),
    "act": ts.Choice(["relu", "tanh", "gelu"]),
}
SPHERE5 = {f"x{i}": ts.Float(-5.0, 5.0) for i in range(5)}
RASTRIGIN2 = {"x": ts.Float(-5.12, 5.12), "y": ts.Float(-5.12, 5.12)}


def sphere(trial: Any) -> float:
    return float(sum((trial.params[f"x{i}"] - 1.0) ** 2 for i in range(5)))


def sphere_with_gradient(trial: Any) -> float:
    trial.set_user_attr("gradient", {f"x{i}": 2 * (trial.params[f"x{i}"] - 1.0) for i in range(5)})
    return sphere(trial)


def rastrigin(trial: Any) -> float:
    x = np.array([trial.params["x"], trial.params["y"]])
    return float(20 + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


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
    groups: dict[int, list[Any]] = {}
    for t in study.trials:
        groups.setdefault(t.system_attrs.get("batch"), []).append(t)
    return [groups[b] for b in sorted(k for k in groups if k is not None)]


# -- the estimates ------------------------------------------------------------------------------
def test_pair_gradient_is_exact_on_linear_functions_for_spsa_and_central():
    rng = np.random.default_rng(0)
    slope = np.array([3.0, -2.0, 0.5, 7.0])
    x = np.array([0.3, 0.6, 0.5, 0.2])
    widths = np.zeros(4)
    central = _spsa.central_points(x, 0.05, widths)
    assert len(central) == 8
    g = _spsa.pair_gradient(central, [float(slope @ p) for p in central])
    np.testing.assert_allclose(g, slope)
    plus, minus = _spsa.spsa_points(x, 0.05, widths, rng)
    np.testing.assert_allclose(np.abs(plus - minus), 0.1)
    g = _spsa.pair_gradient([plus, minus], [float(slope @ plus), float(slope @ minus)])
    delta = np.sign(plus - minus)
    np.testing.assert_allclose(g, (slope @ delta) * delta)  # g_i = (f+ - f-) / (2 c Δ_i)


def test_spsa_estimate_is_unbiased():
    slope = np.array([1.0, -4.0, 2.0])
    x = np.full(3, 0.5)
    rng = np.random.default_rng(1)
    estimates = []
    for _ in range(4000):
        pts = _spsa.spsa_points(x, 0.05, np.zeros(3), rng)
        estimates.append(_spsa.pair_gradient(pts, [float(slope @ p) for p in pts]))
    np.testing.assert_allclose(np.mean(estimates, axis=0), slope, atol=0.25)


def test_perturbations_stay_in_the_cube_and_cross_a_bin_of_discrete_parameters():
    rng = np.random.default_rng(2)
    x = np.array([0.0, 1.0, 0.5])
    for pts in (_spsa.spsa_points(x, 0.2, np.zeros(3), rng), _spsa.central_points(x, 0.2, [0] * 3)):
        assert all(((p >= 0) & (p <= 1)).all() for p in pts)
    depth = ts.Int(1, 12)
    assert _spsa.resolution(depth, 0.5) == pytest.approx(1 / 12)
    assert _spsa.resolution(ts.Float(0, 1), 0.5) == 0.0
    assert _spsa.resolution(ts.Float(0, 1, step=0.25), 0.5) == pytest.approx(0.25)
    u = depth.to_unit(6)
    plus, minus = _spsa.central_points(np.array([u]), 0.001, np.array([_spsa.resolution(depth, u)]))
    assert (depth.from_unit(plus[0]), depth.from_unit(minus[0])) == (7, 5)


def test_chain_rule_turns_parameter_gradients_into_unit_gradients():
    space = {"lr": ts.Float(1e-4, 1.0, log=True), "n": ts.Int(0, 10), "x": ts.Float(-3, 3)}
    u = np.array([space["lr"].to_unit(0.01), space["n"].to_unit(4), 0.5])
    assert _spsa.unit_slope(space["lr"], u[0]) == pytest.approx(0.01 * np.log(1e4), rel=1e-5)
    assert _spsa.unit_slope(space["n"], u[1]) == pytest.approx(11.0)
    assert _spsa.unit_slope(space["x"], 0.5) == pytest.approx(6.0)
    g = _spsa.unit_gradient({"lr": 2.0, "x": -1.0}, space, u, sign=-1.0)
    np.testing.assert_allclose(g, [-2.0 * 0.01 * np.log(1e4), 0.0, 6.0], rtol=1e-5)
    assert _spsa.unit_gradient({"x": "steep"}, space, u, 1.0) is None
    assert _spsa.unit_gradient({"x": float("nan")}, space, u, 1.0) is None
    assert _spsa.unit_gradient([1.0], space, u, 1.0) is None


def test_directions_are_adam_and_heavy_ball_steps():
    g = np.array([2.0, -0.5])
    d, state = _spsa.descent_direction("adam", g, _spsa.init_moments("adam", 2), 0.9, 0.999)
    np.testing.assert_allclose(d, np.sign(g), rtol=1e-6)  # Adam's first step is lr * sign(g)
    d, state = _spsa.descent_direction("momentum", g, _spsa.init_moments("momentum", 2), 0.9, 0)
    d, state = _spsa.descent_direction("momentum", g, state, 0.9, 0)
    np.testing.assert_allclose(d, 1.9 * g)


# -- proposals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator, size", [("spsa", 3), ("central", 11), ("exact", 1)])
def test_batches_are_the_iterate_and_its_perturbations(estimator, size):
    study = ts.create_study(strategy=GradientDescent(estimator=estimator), space=MIXED, seed=0)
    objective = mixed_loss
    if estimator == "exact":

        def objective(trial):
            trial.set_user_attr("gradient", {"x": 2 * (trial.params["x"] - 1)})
            return mixed_loss(trial)

    study.optimize(objective, n_trials=90)
    groups = batches(study)
    assert {len(g) for g in groups[:-1]} == {size}
    for t in study.trials:
        for name, dist in MIXED.items():
            assert dist.contains(t.params[name]), (name, t.params[name])
        assert isinstance(t.params["depth"], int) and isinstance(t.params["units"], int)
        assert t.params["q"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    starts = study.strategy.run_starts(study.trials, MIXED) + [len(study.trials)]
    for a, b in zip(starts, starts[1:]):
        assert len({t.params["act"] for t in study.trials[a:b]}) == 1  # held fixed per run
    assert study.best_value < mixed_loss(study.trials[0])


def test_waits_for_the_whole_batch_in_population_mode():
    study = ts.create_study(strategy=GradientDescent(), space=SPHERE5, seed=0)
    first = study.ask_batch(8)
    assert [t.number for t in first] == [0, 1, 2]  # fewer than asked: one batch at a time
    with pytest.raises(RuntimeError, match="waits for the running trials"):
        study.ask_batch(1)
    study.tell_batch(first, [sphere(t) for t in first])
    one = study.ask()
    assert one.number == 3 and len(study.ask_batch(5)) == 2


def test_define_by_run_learns_the_space():
    def objective(trial):
        return (trial.suggest_float("a", -2, 2) - 0.5) ** 2 + trial.suggest_int("n", 1, 9) / 10

    study = ts.create_study(strategy=GradientDescent(), seed=0)
    study.optimize(objective, n_trials=90)
    assert len(batches(study)[0]) == 1  # nothing known yet: one trial draws its own params
    assert study.strategy.run_starts(study.trials, study.search_space)[0] == 1
    assert study.best_value < min(0.5, study.trials[0].value)


# -- determinism and replay ---------------------------------------------------------------------
def test_same_seed_same_trials_and_execution_mode_does_not_matter():
    def run(**kwargs):
        study = ts.create_study(strategy=GradientDescent(), space=MIXED, seed=7)
        if "batch_size" in kwargs:
            study.optimize(lambda trials: [mixed_loss(t) for t in trials], n_trials=60, **kwargs)
        else:
            study.optimize(mixed_loss, n_trials=60, **kwargs)
        return [t.params for t in study.trials]

    serial = run()
    assert run(n_jobs=3) == serial
    assert run(batch_size=3) == serial
    assert run(batch_size=16) == serial
    other = ts.create_study(strategy=GradientDescent(), space=MIXED, seed=8)
    other.optimize(mixed_loss, n_trials=6)
    assert [t.params for t in other.trials] != serial[:6]


@pytest.mark.parametrize("estimator", ["spsa", "central"])
def test_reloading_from_sqlite_mid_batch_continues_identically(tmp_path, estimator):
    url = f"sqlite:///{tmp_path / 'gd.db'}"
    make = lambda: GradientDescent(estimator=estimator, patience=2)  # noqa: E731 - restarts
    whole = ts.create_study(name="whole", storage=url, strategy=make(), space=MIXED, seed=3)
    whole.optimize(mixed_loss, n_trials=120)
    part = ts.create_study(name="part", storage=url, strategy=make(), space=MIXED, seed=3)
    part.optimize(mixed_loss, n_trials=71)
    assert any(t.state is TrialState.WAITING for t in part.trials)
    again = ts.load_study("part", storage=url)  # the strategy comes back from storage
    assert repr(again.strategy) == repr(make())
    again.optimize(mixed_loss, n_trials=49)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]
    runs = whole.strategy.run_starts(whole.trials, MIXED)
    assert len(runs) >= 2 or estimator == "central"  # 11 trials a step: too few steps to stall


def test_cache_and_replay_from_scratch_agree():
    study = ts.create_study(strategy=GradientDescent(patience=3), space=SPHERE5, seed=0)
    study.optimize(sphere, n_trials=150)
    fresh = GradientDescent(patience=3)
    fresh.directions = ("minimize",)
    rng = lambda: np.random.default_rng(11)  # noqa: E731
    assert fresh.propose(study.trials, SPHERE5, 1, rng()) == study.strategy.propose(
        study.trials, SPHERE5, 1, rng()
    )
    assert fresh.run_starts(study.trials, SPHERE5) == study.strategy.run_starts(
        study.trials, SPHERE5
    )


# -- quality ------------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator", ["spsa", "central"])
def test_clearly_better_than_random_on_a_sphere(estimator):
    gd, rnd = [], []
    for seed in range(4):
        study = ts.create_study(strategy=GradientDescent(estimator=estimator), space=SPHERE5,
                                seed=seed)  # fmt: skip
        study.optimize(sphere, n_trials=240)
        gd.append(study.best_value)
        study = ts.create_study(strategy=Random(), space=SPHERE5, seed=seed)
        study.optimize(sphere, n_trials=240)
        rnd.append(study.best_value)
    assert max(gd) < 0.3 < 2.0 < min(rnd)
    assert np.median(gd) * 100 < np.median(rnd)


def test_exact_gradients_converge_faster_than_spsa_on_a_quadratic():
    def trials_to_reach(objective, estimator, seed, target=1e-3):
        study = ts.create_study(strategy=GradientDescent(estimator=estimator), space=SPHERE5,
                                seed=seed)  # fmt: skip
        study.optimize(objective, n_trials=300)
        hits = [t.number for t in study.trials if t.value is not None and t.value < target]
        return hits[0] if hits else 10_000

    for seed in range(3):
        exact = trials_to_reach(sphere_with_gradient, "exact", seed)
        spsa = trials_to_reach(sphere, "spsa", seed)
        assert exact < 60 and 2 * exact < spsa


def test_exact_gradients_when_maximizing():
    def objective(trial):
        trial.set_user_attr("gradient", {"x": -2 * (trial.params["x"] - 0.3)})
        return -((trial.params["x"] - 0.3) ** 2)

    study = ts.create_study(strategy=GradientDescent(estimator="exact"), direction="maximize",
                            space={"x": ts.Float(-2, 2)}, seed=0)  # fmt: skip
    study.optimize(objective, n_trials=40)
    assert study.best_value > -1e-5


def test_restarts_from_new_points_on_rastrigin():
    for seed in range(4):
        strategy = GradientDescent(patience=4)
        study = ts.create_study(strategy=strategy, space=RASTRIGIN2, seed=seed)
        study.optimize(rastrigin, n_trials=240)
        starts = strategy.run_starts(study.trials, RASTRIGIN2)
        assert len(starts) >= 5 and starts[0] == 0
        points = {(study.trials[s].params["x"], study.trials[s].params["y"]) for s in starts}
        assert len(points) == len(starts)  # each run from a new random point
        first_run = min(t.value for t in study.trials[: starts[1]])
        assert study.best_value < first_run  # a later run found a better basin
    # a run ends only when it stalls: patience bounds how long it may go without improving
    long_runs = GradientDescent(patience=40)
    study = ts.create_study(strategy=long_runs, space=RASTRIGIN2, seed=0)
    study.optimize(rastrigin, n_trials=240)
    assert len(long_runs.run_starts(study.trials, RASTRIGIN2)) < len(starts)


# -- worse steps, failures ----------------------------------------------------------------------
def run_state(**kwargs: Any) -> _Run:
    fields = dict(x=np.array([0.6]), lr=0.1, steps=3, moments=_spsa.init_moments("adam", 1),
                  prev_loss=1.0, best=1.0, stall=0, cats={})  # fmt: skip
    return _Run(**{**fields, **kwargs})


def test_a_worse_step_halves_the_rate_and_missing_data_retries_the_iterate():
    strategy = GradientDescent(patience=3)
    worse = strategy._advance(run_state(), 2.0, np.array([1.0]))
    assert worse.lr == 0.05 and worse.stall == 1 and worse.prev_loss == 2.0
    np.testing.assert_allclose(worse.x, 0.6 - 0.05)  # fresh moments: a sign step at lr / 2
    better = strategy._advance(run_state(), 0.5, np.array([1.0]))
    assert better.lr == 0.1 and better.stall == 0 and better.best == 0.5
    np.testing.assert_allclose(better.x, 0.6 - 0.1)
    for loss, best, stall in ((None, 1.0, 1), (2.0, 1.0, 1), (0.9, 0.9, 0)):
        retry = strategy._advance(run_state(), loss, None)  # no gradient: same iterate again
        np.testing.assert_allclose(retry.x, 0.6)
        assert (retry.lr, retry.prev_loss, retry.best, retry.stall) == (0.1, 1.0, best, stall)
    assert strategy._advance(run_state(stall=2), None, None) is None  # patience spent: restart


def test_failed_and_pruned_trials_give_no_gradient_and_the_search_goes_on():
    def objective(trial):
        if trial.number % 11 == 5:
            raise ValueError("diverged")
        if trial.number % 13 == 7:
            raise ts.TrialPruned()
        return sphere(trial)

    study = ts.create_study(strategy=GradientDescent(), space=SPHERE5, seed=4)
    study.optimize(objective, n_trials=240)
    states = Counter(t.state for t in study.trials)
    failed = [n for n in range(240) if n % 11 == 5]
    pruned = [n for n in range(240) if n % 13 == 7 and n not in failed]
    assert (states[TrialState.FAIL], states[TrialState.PRUNED]) == (len(failed), len(pruned))
    assert study.best_value < 0.05
    clean = ts.create_study(strategy=GradientDescent(), space=SPHERE5, seed=4)
    clean.optimize(sphere, n_trials=240)
    assert clean.best_value <= study.best_value  # the failures cost steps, nothing more


def test_exact_mode_without_a_gradient_warns_and_retries_then_restarts():
    study = ts.create_study(strategy=GradientDescent(estimator="exact", patience=2),
                            space=SPHERE5, seed=0)  # fmt: skip
    with pytest.warns(UserWarning, match=re.escape("trial.set_user_attr('gradient'")):
        study.optimize(sphere, n_trials=12)  # forgot to record the gradient
        assert study.strategy.run_starts(study.trials, SPHERE5) == [0, 3, 6, 9]
    assert [len(g) for g in batches(study)] == [1] * 12
    points = [t.params["x0"] for t in study.trials]
    assert points[0] == points[1] == points[2] != points[3]  # the start, then 2 retries


def test_enqueued_trials_are_evaluated_but_ignored():
    study = ts.create_study(strategy=GradientDescent(), space=SPHERE5, seed=0)
    study.enqueue({f"x{i}": 1.0 for i in range(5)})
    study.optimize(sphere, n_trials=31)
    assert study.trials[0].value == 0.0 and "batch" not in study.trials[0].system_attrs
    assert [len(g) for g in batches(study)] == [3] * 10


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, rule",
    [
        ({"lr": 0}, "a float > 0"),
        ({"lr": float("inf")}, "a float > 0"),
        ({"estimator": "forward"}, "one of 'spsa', 'central', 'exact'"),
        ({"optimizer": "sgd"}, "one of 'adam', 'momentum'"),
        ({"momentum": 1.0}, "a float in [0, 1)"),
        ({"beta2": -0.1}, "a float in [0, 1)"),
        ({"perturbation": 0.0}, "a float in (0, 0.5]"),
        ({"perturbation": 0.8}, "a float in (0, 0.5]"),
        ({"patience": 0}, "an int >= 1"),
        ({"patience": 2.5}, "an int >= 1"),
        ({"tol": -1.0}, "a float >= 0"),
    ],
)
def test_validation_messages(kwargs, rule):
    ((name, got),) = kwargs.items()
    message = f"The {name!r} parameter of GradientDescent must be {rule}. Got {got!r} instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        GradientDescent(**kwargs)


def test_validation_message_reads_in_full():
    with pytest.raises(ValueError) as info:
        GradientDescent(lr=0)
    assert str(info.value) == (
        "The 'lr' parameter of GradientDescent must be a float > 0. Got 0 instead."
    )


def test_several_objectives_are_refused():
    # Refused by check (create_study may call it) or at the latest by the first proposal.
    message = "Strategy 'gradient' optimizes one objective; this study has 2 directions: use"
    with pytest.raises(ValueError, match=re.escape(message)):
        dirs = ["minimize"] * 2
        study = ts.create_study(strategy=GradientDescent(), space=SPHERE5, directions=dirs)
        study.ask()


def test_choice_only_space_is_searched_at_random_and_repr():
    space = {"k": ts.Choice(["a", "b", "c"]), "m": ts.Choice([1, 2])}
    study = ts.create_study(strategy=GradientDescent(), space=space, seed=0)
    study.optimize(lambda t: float(t.params["m"]), n_trials=12)
    assert study.best_value == 1.0
    assert repr(GradientDescent()) == (
        "GradientDescent(lr=0.1, estimator='spsa', optimizer='adam', momentum=0.9, "
        "beta2=0.999, perturbation=0.05, patience=10, tol=0.0001)"
    )


def test_objective_may_return_value_and_exact_gradients():
    space = {"a": ts.Float(-2, 2), "b": ts.Float(-2, 2)}

    def quadratic(trial):
        a, b = trial.params["a"], trial.params["b"]
        return (a - 1) ** 2 + (b + 0.5) ** 2, {"a": 2 * (a - 1), "b": 2 * (b + 0.5)}

    study = ts.create_study(space=space, strategy=GradientDescent(estimator="exact"), seed=0)
    study.optimize(quadratic, n_trials=60)
    assert study.trials[0].gradient.keys() == {"a", "b"} and not study.trials[0].user_attrs
    assert study.best_value < 1e-3
