"""TPE: bounds and types, determinism, quality against Random, failed/pruned/running trials,
batches, define-by-run conditional spaces, several objectives, validation."""

from __future__ import annotations

import copy
import math
import pickle
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.strategies import _tpe_split as split
from tunesmith.strategies import parzen
from tunesmith.strategies.base import params_key
from tunesmith.strategies.random import Random
from tunesmith.strategies.tpe import TPE, _groups
from tunesmith.trial import FrozenTrial, TrialState

Space = dict[str, Distribution]

MIXED = {
    "lr": Float(1e-5, 1.0, log=True),
    "drop": Float(0.0, 0.5, step=0.05),
    "units": Int(8, 512, log=True),
    "layers": Int(1, 9, step=2),
    "act": Choice(["relu", "tanh", "gelu"]),
    "bs": Choice([16, 32, 64, 128]),
    "w": Float(-1.0, 1.0),
}
SPHERE5 = {f"x{i}": Float(-5.0, 5.0) for i in range(5)}


def frozen(
    number: int,
    params: dict[str, Any],
    value: float | Sequence[float] | None = None,
    state: TrialState = TrialState.COMPLETE,
    intermediate: dict[int, float] | None = None,
) -> FrozenTrial:
    values = None if value is None else tuple(np.atleast_1d(value).tolist())
    return FrozenTrial(
        number, state, dict(params), {}, values=values, intermediate=dict(intermediate or {})
    )


def random_history(space: Space, size: int, seed: int) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    rows = Random().propose([], space, size, rng)
    return [frozen(i, p, float(rng.normal())) for i, p in enumerate(rows)]


def propose(
    strategy: TPE,
    history: Sequence[FrozenTrial],
    space: Space,
    n: int = 1,
    seed: int = 0,
    directions: tuple[str, ...] = ("minimize",),
) -> list[dict[str, Any]]:
    strategy.directions = directions
    return strategy.propose(history, space, n, np.random.default_rng(seed))


def assert_in_space(proposals: list[dict[str, Any]], space: Space) -> None:
    for p in proposals:
        assert set(p) == set(space)
        for name, dist in space.items():
            value = p[name]
            assert dist.contains(value), (name, dist, value)
            if isinstance(dist, Int):
                assert type(value) is int
            if isinstance(dist, Float):
                assert isinstance(value, float) and dist.low <= value <= dist.high
            if isinstance(dist, Choice):
                assert any(value == o and type(value) is type(o) for o in dist.options)


def run(strategy: Any, space: Space, f: Callable[[dict], Any], n: int, seed: int, **kw) -> ts.Study:
    study = ts.create_study(space=space, strategy=strategy, seed=seed, **kw)
    study.optimize(lambda t: f(t.params), n_trials=n)
    return study


def sphere(p: dict[str, Any]) -> float:
    return float(sum(v * v for v in p.values()))


def mixed_loss(p: dict[str, Any]) -> float:
    return (
        (math.log10(p["lr"]) + 3) ** 2 / 4
        + (p["drop"] - 0.2) ** 2 * 10
        + abs(math.log2(p["units"]) - 7) / 2
        + abs(p["layers"] - 3) / 2
        + {"relu": 0.0, "tanh": 0.6, "gelu": 0.3}[p["act"]]
        + {16: 0.5, 32: 0.0, 64: 0.3, 128: 0.8}[p["bs"]]
        + p["w"] ** 2
    )


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_startup_trials": -1}, "The 'n_startup_trials' parameter of TPE must be an int >= 0."),
        ({"n_startup_trials": 2.5}, "must be an int >= 0. Got 2.5 instead."),
        ({"n_ei_candidates": 0}, "The 'n_ei_candidates' parameter of TPE must be an int >= 1."),
        ({"gamma": 0}, "The 'gamma' parameter of TPE must be a float in (0, 1]. Got 0 instead."),
        ({"gamma": 1.5}, "must be a float in (0, 1]"),
        ({"max_good": True}, "The 'max_good' parameter of TPE must be an int >= 1."),
        ({"prior_weight": -1.0}, "The 'prior_weight' parameter of TPE must be a float > 0."),
        ({"constant_liar": "yes"}, "The 'constant_liar' parameter of TPE must be a bool."),
    ],
)
def test_bad_arguments_get_one_clear_message(kwargs, message):
    with pytest.raises(ValueError) as info:
        TPE(**kwargs)
    assert message in str(info.value)


def test_n_startup_trials_message_is_exact():
    with pytest.raises(ValueError) as info:
        TPE(n_startup_trials=-1)
    assert str(info.value) == (
        "The 'n_startup_trials' parameter of TPE must be an int >= 0. Got -1 instead."
    )


def test_stores_its_arguments_for_the_study_record():
    tpe = TPE(n_startup_trials=3, gamma=0.2, constant_liar=True)
    assert repr(tpe) == (
        "TPE(n_startup_trials=3, n_ei_candidates=24, gamma=0.2, max_good=25, "
        "prior_weight=1.0, constant_liar=True, avoid_repeats=False)"
    )
    assert tpe.name == "tpe"


def test_copies_keep_the_arguments_and_start_with_an_empty_cache():
    tpe = TPE(n_startup_trials=2, constant_liar=True)
    history = random_history(SPHERE5, 12, seed=0)
    first = propose(tpe, history, SPHERE5, seed=1)
    for clone in (copy.deepcopy(tpe), pickle.loads(pickle.dumps(tpe))):
        assert repr(clone) == repr(tpe) and clone.directions == tpe.directions
        assert propose(clone, history, SPHERE5, seed=1) == first


# -- bounds and types ---------------------------------------------------------------------------
@st.composite
def distributions(draw: st.DrawFn) -> Distribution:
    kind = draw(st.sampled_from(["float", "logfloat", "stepfloat", "int", "logint", "choice"]))
    if kind == "float":
        low = draw(st.floats(-1e3, 1e3))
        return Float(low, low + draw(st.floats(1e-3, 1e3)))
    if kind == "logfloat":
        low = draw(st.floats(1e-6, 1e2))
        return Float(low, low * draw(st.floats(1.01, 1e6)), log=True)
    if kind == "stepfloat":
        low, k = draw(st.integers(-50, 50)), draw(st.integers(1, 40))
        step = draw(st.sampled_from([0.25, 0.5, 1.0]))
        return Float(float(low), low + k * step, step=step)
    if kind == "int":
        low, step = draw(st.integers(-100, 100)), draw(st.integers(1, 4))
        return Int(low, low + step * draw(st.integers(1, 300)), step=step)
    if kind == "logint":
        low = draw(st.integers(1, 50))
        return Int(low, low + draw(st.integers(1, 10_000)), log=True)
    options = draw(
        st.lists(
            st.one_of(st.text(max_size=3), st.integers(-5, 5), st.booleans(), st.none()),
            min_size=1,
            max_size=5,
            unique_by=lambda o: params_key({"o": o}),
        )
    )
    return Choice(options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    space=st.dictionaries(st.sampled_from("abcdef"), distributions(), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
    n=st.integers(1, 4),
)
def test_proposals_stay_inside_mixed_spaces_with_their_types(space, seed, n):
    for size in (0, 3, 15):  # startup, and fitted
        history = random_history(space, size, seed)
        out = propose(TPE(n_startup_trials=3), history, space, n, seed)
        assert len(out) == n
        assert_in_space(out, space)


def test_discrete_sampling_and_scoring_agree_with_the_encoding():
    """Snapped points decode to the value whose bin they sit in, and bins tile [0, 1]."""
    rng = np.random.default_rng(0)
    for dist in (Int(1, 8), Int(16, 512, log=True), Int(-3, 9, step=3), Float(0, 0.5, step=0.05)):
        axes = parzen.Axes.of((dist,))
        u = rng.random((500, 1))
        snapped = parzen.snap(u, axes)[:, 0]
        assert [dist.from_unit(a) for a in snapped] == [dist.from_unit(a) for a in u[:, 0]]
        centres = np.array([dist.to_unit(v) for v in dist.grid()])
        _, lo, hi = parzen._bins(dist, centres)
        assert lo[0] == pytest.approx(0) and hi[-1] == pytest.approx(1)
        np.testing.assert_allclose(lo[1:], hi[:-1])
        # a fitted density's masses over all values sum to one
        est = parzen.fit(u[:30], np.ones(30), axes, 1.0)
        mass = np.exp(est.log_pdf(centres[:, None]))
        assert mass.sum() == pytest.approx(1.0, rel=1e-5)


def test_continuous_density_integrates_to_one_and_matches_samples():
    axes = parzen.Axes.of((Float(0.0, 1.0),))
    points = np.array([[0.1], [0.15], [0.8]])
    est = parzen.fit(points, np.ones(3), axes, 1.0)
    grid = np.linspace(0, 1, 20001)[:, None]
    assert np.trapezoid(np.exp(est.log_pdf(grid)), grid[:, 0]) == pytest.approx(1.0, abs=1e-4)
    draws = est.sample(20000, np.random.default_rng(1))[:, 0]
    assert np.all((draws >= 0) & (draws <= 1))
    inside = np.mean(draws < 0.3)
    expected = np.trapezoid(np.exp(est.log_pdf(grid[grid[:, 0] < 0.3])), grid[grid < 0.3])
    assert inside == pytest.approx(expected, abs=0.015)


def test_kernel_widths_gaps_for_continuous_scotts_rule_for_discrete():
    """Continuous widths are the larger neighbour gap; discrete ones, where repeats make gaps
    zero, are 0.2 * n ** (-1 / (d + 4)); both clipped below at 1 / min(100, n + 2)."""
    axes = parzen.Axes.of((Float(0.0, 1.0), Int(0, 3)))
    cont = np.array([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.9, 0.95])
    points = np.column_stack([cont, np.r_[np.full(9, 0.125), 0.375]])
    est = parzen.fit(points, np.ones(10), axes, 1.0)
    np.testing.assert_allclose(est.sigma[:10, 0], [*[0.1] * 7, 0.15, 0.15, 1 / 12])  # 0.05 clipped
    np.testing.assert_allclose(est.sigma[:10, 1], 0.2 * 10 ** (-1 / 6))
    np.testing.assert_allclose(est.sigma[10], [1.0, 1.0])  # the prior
    many = parzen.fit(np.full((2000, 2), 0.125), np.ones(2000), axes, 1.0)
    np.testing.assert_allclose(many.sigma[:-1, 0], 0.01)  # zero gaps, clipped at 1 / 100
    np.testing.assert_allclose(many.sigma[:-1, 1], 0.2 * 2000 ** (-1 / 6))


# -- determinism and the startup phase ----------------------------------------------------------
def test_same_seed_same_trials_and_startup_equals_random():
    a = run(TPE(), MIXED, mixed_loss, 25, seed=3)
    b = run(TPE(), MIXED, mixed_loss, 25, seed=3)
    c = run(TPE(), MIXED, mixed_loss, 25, seed=4)
    r = run(Random(), MIXED, mixed_loss, 10, seed=3)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    assert [t.params for t in a.trials[:10]] == [t.params for t in r.trials]


def test_incremental_cache_gives_what_a_fresh_strategy_gives():
    study = run(TPE(n_startup_trials=5), MIXED, mixed_loss, 40, seed=1)
    history = study.trials
    warm = TPE(n_startup_trials=5)
    for cut in (12, 30, 20, 40):  # growing, then shrinking: the cache must follow
        warm_out = propose(warm, history[:cut], MIXED, 3, seed=cut)
        assert warm_out == propose(TPE(n_startup_trials=5), history[:cut], MIXED, 3, seed=cut)
    # a trial replaced at the same number (finished since) is re-read
    replaced = list(history)
    replaced[7] = frozen(7, history[7].params, -100.0)
    assert propose(warm, replaced, MIXED, seed=9) == propose(TPE(5), replaced, MIXED, seed=9)


def test_maximize_is_minimize_of_the_negation():
    history = random_history(SPHERE5, 30, seed=2)
    flipped = [frozen(t.number, t.params, -t.values[0]) for t in history]
    low = propose(TPE(), history, SPHERE5, 3, seed=5)
    high = propose(TPE(), flipped, SPHERE5, 3, seed=5, directions=("maximize",))
    assert low == high


# -- quality ------------------------------------------------------------------------------------
SEEDS = range(7)


@pytest.mark.parametrize(
    "space, f, n_trials, factor",
    [(SPHERE5, sphere, 80, 0.25), (MIXED, mixed_loss, 60, 0.6)],
    ids=["sphere5", "mixed"],
)
def test_clearly_better_than_random(space, f, n_trials, factor):
    tpe = [run(TPE(), space, f, n_trials, seed).best_value for seed in SEEDS]
    rnd = [run(Random(), space, f, n_trials, seed).best_value for seed in SEEDS]
    assert np.median(tpe) < factor * np.median(rnd), (tpe, rnd)
    assert sum(a < b for a, b in zip(tpe, rnd)) >= 6, (tpe, rnd)


# -- failed, pruned and running trials ----------------------------------------------------------
def test_failed_trials_are_ignored():
    space = {"x": Float(0.0, 1.0), "k": Choice(["a", "b"])}
    history = random_history(space, 20, seed=4)
    with_failures = list(history)
    for i in range(5):
        p = {"x": 0.9 + 0.01 * i, "k": "b"}
        with_failures.append(FrozenTrial(20 + i, TrialState.FAIL, p, {}, error="boom"))
    assert propose(TPE(), history, space, 4, seed=1) == propose(TPE(), with_failures, space, 4, 1)


def test_pruned_trials_rank_below_complete_ones_by_step_then_value():
    kind = np.array([split.PRUNED, split.COMPLETE, split.PRUNED, split.PRUNED, split.COMPLETE])
    loss = np.array([[np.inf], [5.0], [np.inf], [np.inf], [7.0]])
    step = np.array([3.0, -1, 9.0, 9.0, -1])
    last = np.array([0.1, np.inf, 2.0, 1.0, np.inf])
    rows = np.arange(5)
    order = []
    for k in range(1, 6):
        good = split.good_rows(rows, kind, loss, step, last, k)
        order.append(sorted(set(np.flatnonzero(good)) - set(order)).pop())
    assert order == [1, 4, 3, 2, 0]


@pytest.mark.parametrize(
    "n_finished, gamma, max_good, expected",
    [
        (1000, 0.1, 25, 25),  # ceil(0.1 * 1000) = 100, capped at max_good
        (250, 0.1, 25, 25),
        (251, 0.1, 25, 25),
        (240, 0.1, 25, 24),
        (101, 0.1, 25, 11),  # ceil, not round or floor
        (100, 0.1, 25, 10),
        (3, 0.1, 25, 1),
        (0, 0.1, 25, 1),  # never fewer than one good trial
        (100, 0.5, 5, 5),
        (10, 1.0, 25, 10),
    ],
)
def test_n_good_is_ceil_gamma_n_capped_at_max_good(n_finished, gamma, max_good, expected):
    assert split.n_good(n_finished, gamma, max_good) == expected


def test_max_good_caps_the_trials_that_shape_the_good_density():
    # 5 best trials near x = 0.9, 45 next best near 0.1, 50 worst near 0.5. With gamma=0.5 the
    # cap max_good=5 keeps only the first five as "good": proposals go near 0.9. Without the
    # cap the 45 near 0.1 would dominate l(x).
    space = {"x": Float(0.0, 1.0)}
    rng = np.random.default_rng(0)
    centres = [(0.9, -10.0)] * 5 + [(0.1, -5.0)] * 45 + [(0.5, 0.0)] * 50
    history = [
        frozen(i, {"x": float(c + rng.uniform(-0.02, 0.02))}, loss + rng.uniform(0, 0.1))
        for i, (c, loss) in enumerate(centres)
    ]
    capped = TPE(n_startup_trials=1, gamma=0.5, max_good=5)
    xs = [propose(capped, history, space, seed=s)[0]["x"] for s in range(20)]
    assert sum(abs(x - 0.9) < 0.1 for x in xs) >= 18, xs
    uncapped = TPE(n_startup_trials=1, gamma=0.5, max_good=50)
    xs = [propose(uncapped, history, space, seed=s)[0]["x"] for s in range(20)]
    assert sum(abs(x - 0.1) < 0.1 for x in xs) >= 18, xs


def test_pruned_trials_inform_the_model():
    """Trials pruned in a region steer proposals away from it, and an all-pruned history works."""
    space = {"x": Float(0.0, 1.0)}
    rng = np.random.default_rng(0)
    history = [frozen(i, {"x": float(x)}, abs(x - 0.5)) for i, x in enumerate(rng.random(12))]
    best = min(history, key=lambda t: t.values[0]).params["x"]
    pruned = [
        frozen(12 + i, {"x": best + 0.01 * (i - 5)}, None, TrialState.PRUNED, {0: 1.0})
        for i in range(11)
    ]

    def near_best(h: list[FrozenTrial]) -> int:
        xs = [propose(TPE(), h, space, seed=s)[0]["x"] for s in range(40)]
        return sum(abs(x - best) < 0.06 for x in xs)

    assert near_best(history + pruned) < near_best(history) / 2
    only_pruned = [
        frozen(i, {"x": float(x)}, None, TrialState.PRUNED, {int(10 * x): float(x)})
        for i, x in enumerate(rng.random(12))
    ]
    assert_in_space(propose(TPE(), only_pruned, space, 2), space)


def test_constant_liar_counts_running_trials_as_bad():
    space = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
    history = random_history(space, 15, seed=6)
    running = [
        FrozenTrial(15 + i, TrialState.RUNNING, {"x": 0.5, "y": 0.5 + 0.01 * i}, {})
        for i in range(3)
    ]
    plain = propose(TPE(), history, space, 2, seed=2)
    assert propose(TPE(), history + running, space, 2, seed=2) == plain
    assert propose(TPE(constant_liar=True), history + running, space, 2, seed=2) != plain


def test_parallel_threads_with_constant_liar_give_distinct_proposals():
    """Trials running at the same time never share their params, even in a small grid."""
    space = {"x": Int(0, 40), "c": Choice(["a", "b", "c"])}
    changed = threading.Condition()
    running: dict[int, str] = {}
    clashes, overlaps = [], []

    def objective(trial: ts.Trial) -> float:
        key = params_key(trial.params)
        with changed:
            clashes.extend(n for n, k in running.items() if k == key)
            overlaps.append(len(running))
            running[trial.number] = key
            changed.notify_all()
            # Hold the trial until two others run beside it, or no more will start.
            alongside = lambda: len(running) >= 3 or len(overlaps) == 60  # noqa: E731
            assert changed.wait_for(alongside, timeout=30)
        with changed:
            del running[trial.number]
            changed.notify_all()
        return abs(trial.params["x"] - 20) + (trial.params["c"] != "b")

    study = ts.create_study(space=space, strategy=TPE(n_startup_trials=8, constant_liar=True))
    study.optimize(objective, n_trials=60, n_jobs=4)
    assert sum(t.state is TrialState.COMPLETE for t in study.trials) == 60
    assert max(overlaps) >= 2 and not clashes
    assert study.best_value <= 1


def test_ask_batch_gives_distinct_valid_points():
    study = ts.create_study(space=MIXED, strategy=TPE(n_startup_trials=8), seed=0)
    for size in (8, 8, 16):
        trials = study.ask_batch(size)
        assert len(trials) == size
        assert_in_space([t.params for t in trials], MIXED)
        assert len({params_key(t.params) for t in trials}) == size
        study.tell_batch(trials, [mixed_loss(t.params) for t in trials])


def test_one_call_never_repeats_a_point_while_others_remain():
    space = {"d": Float(0.0, 0.5, step=0.05), "c": Choice([True, False]), "n": Int(1, 3, log=True)}
    history = random_history(space, 12, seed=3)
    for seed in range(5):
        out = propose(TPE(), history, space, 24, seed)  # 24 of the 66 points
        assert len({params_key(p) for p in out}) == 24


# -- define-by-run conditional spaces -----------------------------------------------------------
def test_groups_follow_which_parameters_appear_together():
    present = np.array([[1, 1, 0, 0, 1], [1, 0, 1, 1, 1], [1, 1, 0, 0, 1]], dtype=bool)
    assert sorted(g.tolist() for g in _groups(present, 5)) == [[0, 4], [1], [2, 3]]
    assert [g.tolist() for g in _groups(present[:0], 3)] == [[0, 1, 2]]


def test_conditional_parameters_are_modelled_over_the_trials_that_have_them():
    space = {"k": Choice(["a", "b"]), "x": Float(0.0, 1.0), "y": Int(0, 10)}
    rng = np.random.default_rng(0)
    history = []
    for i in range(40):
        if i % 2:
            x = float(rng.random())
            history.append(frozen(i, {"k": "a", "x": x}, (x - 0.2) ** 2))
        else:
            y = int(rng.integers(0, 11))
            history.append(frozen(i, {"k": "b", "y": y}, 1.0 + y))
    out = [propose(TPE(), history, space, seed=s)[0] for s in range(20)]
    assert_in_space(out, space)
    assert sum(p["k"] == "a" for p in out) >= 16
    assert np.median([abs(p["x"] - 0.2) for p in out]) < 0.1
    assert np.median([p["y"] for p in out]) <= 3  # the b-branch model still prefers small y


def test_define_by_run_study_with_a_conditional_branch():
    def objective(trial: ts.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        if kind == "linear":
            c = trial.suggest_float("c", 1e-4, 1e2, log=True)
            return (math.log10(c) - 1) ** 2
        depth = trial.suggest_int("depth", 1, 12)
        return 1.0 + abs(depth - 6) / 6

    best, kinds = [], []
    for seed in range(5):
        study = ts.create_study(strategy=TPE(), seed=seed)
        study.optimize(objective, n_trials=50)
        assert all(t.state is TrialState.COMPLETE for t in study.trials)
        for t in study.trials:  # each trial holds only its own branch's parameters
            assert set(t.params) == (
                {"kind", "c"} if t.params["kind"] == "linear" else {"kind", "depth"}
            )
        best.append(study.best_value)
        kinds.append(study.best_params["kind"])
    # the better branch wins on most seeds (one seed settles on the tree branch at 1.0)
    assert kinds.count("linear") >= 4
    assert np.median(best) < 0.05


# -- several objectives -------------------------------------------------------------------------
def hypervolume_2d(points: np.ndarray, reference: np.ndarray) -> float:
    pts = points[np.all(points < reference, axis=1)]
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    volume, best_f2 = 0.0, reference[1]
    for f1, f2 in pts:
        if f2 < best_f2:
            volume += (reference[0] - f1) * (best_f2 - f2)
            best_f2 = f2
    return volume


def zdt1(p: dict[str, Any]) -> tuple[float, float]:
    x = np.array([p[f"x{i}"] for i in range(4)])
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def test_pareto_selection_uses_fronts_then_spread():
    loss = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.6, 0.6], [0.9, 0.1], [0.2, 0.95]])
    first = split._pareto_best(loss, 3)
    assert set(first.tolist()) <= {0, 1, 2, 4, 5} and len(first) == 3
    assert 2 in first.tolist()  # the middle point adds the most hypervolume
    assert set(split._pareto_best(loss, 6).tolist()) == set(range(6))
    assert split._pareto_best(loss, 6)[-1] == 3  # the dominated point comes last
    crowd = split._crowding(np.array([[0.0, 1, 2], [1, 0, 2], [0.5, 0.5, 0], [0.4, 0.6, 1]]))
    assert np.isinf(crowd[:3]).all() and np.isfinite(crowd[3])


def test_motpe_beats_random_on_hypervolume():
    space = {f"x{i}": Float(0.0, 1.0) for i in range(4)}
    reference = np.array([1.1, 11.0])
    volumes = {}
    for name, strategy in (("tpe", TPE), ("random", Random)):
        volumes[name] = []
        for seed in range(5):
            study = ts.create_study(
                space=space, strategy=strategy(), seed=seed, directions=["minimize"] * 2
            )
            study.optimize(lambda t: zdt1(t.params), n_trials=80)
            points = np.array([t.values for t in study.trials])
            volumes[name].append(hypervolume_2d(points, reference))
    assert np.median(volumes["tpe"]) > np.median(volumes["random"]) + 0.5, volumes
    assert sum(a > b for a, b in zip(volumes["tpe"], volumes["random"])) >= 4


def test_a_batch_stays_distinct_when_the_good_density_has_one_point():
    """When every EI candidate is a point already handed out, the batch looks wider."""
    strategy = TPE(n_startup_trials=5, gamma=0.5, prior_weight=0.01)
    study = ts.create_study(space={"x": Int(0, 2)}, strategy=strategy, seed=0)
    for i in range(40):
        study.enqueue({"x": [0, 2][i % 2] if i < 6 else 1})
        trial = study.ask()
        study.tell(trial, abs(trial.params["x"] - 1) + 0.001 * i)
    xs = [t.params["x"] for t in study.ask_batch(3)]
    assert sorted(xs) == [0, 1, 2]


def test_avoid_repeats_visits_a_small_discrete_space_without_repeating():
    space = {"x": Int(0, 4), "c": Choice(["a", "b"])}

    def distinct(avoid: bool) -> int:
        strategy = TPE(n_startup_trials=3, avoid_repeats=avoid)
        study = ts.create_study(space=space, strategy=strategy, seed=0)
        study.optimize(lambda t: abs(t.params["x"] - 2) + (t.params["c"] == "b"), n_trials=10)
        return len({params_key(t.params) for t in study.trials})

    assert distinct(True) == 10  # all ten points, each once
    assert distinct(False) < 10  # plain TPE returns to the good points
