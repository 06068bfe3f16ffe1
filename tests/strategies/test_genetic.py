"""Genetic strategy: operators, selection, generations, steady state, duplicates, validation."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.strategies import _operators as ops
from tunesmith.strategies.base import encode, params_key
from tunesmith.strategies.genetic import Genetic
from tunesmith.strategies.random import Random
from tunesmith.trial import FrozenTrial, TrialState

Space = dict[str, Distribution]


# -- a tiny local driver: the study's loop, by hand ---------------------------------------------
def frozen(
    number: int,
    params: dict[str, Any],
    space: Space,
    value: float | Sequence[float] | None = None,
    state: TrialState = TrialState.COMPLETE,
    batch: int | None = 0,
) -> FrozenTrial:
    values = None if value is None else tuple(np.atleast_1d(value).tolist())
    attrs = {} if batch is None else {"batch": batch}
    return FrozenTrial(number, state, dict(params), dict(space), values=values, system_attrs=attrs)


def drive(
    strategy: Any,
    space: Space,
    f: Callable[[dict[str, Any]], float],
    n_trials: int,
    seed: int,
    n: int = 1,
) -> list[FrozenTrial]:
    """Ask, evaluate every proposal at once, tell; rng seeded from (seed, first trial number)."""
    strategy.directions = ("minimize",)
    history: list[FrozenTrial] = []
    while len(history) < n_trials:
        first = len(history)
        proposals = strategy.propose(history, space, n, np.random.default_rng([seed, first]))
        if not proposals:
            break
        for p in proposals:
            history.append(frozen(len(history), p, space, f(p), batch=first))
    return history


def sphere(params: dict[str, Any]) -> float:
    return float(sum(v * v for v in params.values()))


SPHERE5 = {f"x{i}": Float(-5.0, 5.0) for i in range(5)}

MIXED = {
    "lr": Float(1e-5, 1.0, log=True),
    "drop": Float(0.0, 0.5, step=0.05),
    "units": Int(8, 512, log=True),
    "layers": Int(1, 9, step=2),
    "act": Choice(["relu", "tanh", "gelu"]),
    "bs": Choice([16, 32, 64, 128]),
    "w": Float(-1.0, 1.0),
}


def random_history(space: Space, size: int, seed: int, batch: int = 0) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    rows = Random().propose([], space, size, rng)
    return [frozen(i, p, space, float(rng.normal()), batch=batch) for i, p in enumerate(rows)]


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


# -- hypothesis: random mixed spaces -----------------------------------------------------------
@st.composite
def distributions(draw: st.DrawFn) -> Distribution:
    kind = draw(
        st.sampled_from(["float", "logfloat", "stepfloat", "int", "logint", "stepint", "choice"])
    )
    if kind == "float":
        low = draw(st.floats(-1e3, 1e3))
        return Float(low, low + draw(st.floats(1e-3, 1e3)))
    if kind == "logfloat":
        low = draw(st.floats(1e-6, 1e2))
        return Float(low, low * draw(st.floats(1.01, 1e6)), log=True)
    if kind == "stepfloat":
        low, k = draw(st.integers(-50, 50)), draw(st.integers(1, 40))
        step = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
        return Float(float(low), low + k * step, step=step)
    if kind == "int":
        low = draw(st.integers(-100, 100))
        return Int(low, low + draw(st.integers(1, 1000)))
    if kind == "logint":
        low = draw(st.integers(1, 50))
        return Int(low, low + draw(st.integers(1, 10_000)), log=True)
    if kind == "stepint":
        low, step, k = draw(st.integers(-20, 20)), draw(st.integers(1, 5)), draw(st.integers(1, 20))
        return Int(low, low + k * step, step=step)
    scalars = st.one_of(
        st.text(max_size=4), st.integers(-5, 5), st.booleans(), st.none(), st.floats(-10, 10)
    )
    options = draw(
        st.lists(scalars, min_size=1, max_size=6, unique_by=lambda o: repr((type(o), o)))
    )
    options = list({params_key({"o": o}): o for o in options}.values())
    return Choice(options)


def space_size(space: Space) -> float:
    size = 1.0
    for dist in space.values():
        grid = dist.grid() if not (isinstance(dist, Float) and dist.step is None) else None
        size *= np.inf if grid is None else len(grid)
    return size


spaces = st.dictionaries(st.sampled_from("abcdefgh"), distributions(), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    space=spaces,
    seed=st.integers(0, 2**16),
    crossover=st.sampled_from(["uniform", "sbx", "blend"]),
    mutation=st.sampled_from(["gaussian", "polynomial"]),
    steady=st.booleans(),
)
def test_proposals_stay_inside_mixed_spaces(space, seed, crossover, mutation, steady):
    history = random_history(space, 12, seed)
    g = Genetic(
        population_size=8,
        crossover=crossover,
        mutation=mutation,
        mutation_prob=0.5,
        steady_state=steady,
    )
    out = g.propose(history, space, 5, np.random.default_rng(seed + 1))
    assert_in_space(out, space)
    keys = {params_key(p) for p in out}
    known = {params_key(t.params) for t in history}
    assert len(keys) == len(out) and not keys & known
    # as many as asked for, unless the space has fewer new points left
    assert len(out) == min(5 if steady else 8, space_size(space) - len(known))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_options=st.lists(st.integers(0, 5), min_size=1, max_size=8),
    rows=st.integers(1, 6),
)
def test_operators_keep_bounds_and_never_average_categorical_genes(seed, n_options, rows):
    rng = np.random.default_rng(seed)
    k = np.array(n_options)
    cat = k > 0

    def point() -> np.ndarray:
        x = rng.random((rows, len(k)))
        bins = (x * np.maximum(k, 1)).astype(int)
        return np.where(cat, (bins + 0.5) / np.maximum(k, 1), x)

    a, b = point(), point()
    for c1, c2 in (
        ops.crossover_uniform(a, b, rng),
        ops.crossover_sbx(a, b, rng, 2.0, k),
        ops.crossover_blend(a, b, rng, 0.5, k),
    ):
        for child in (c1, c2):
            assert child.shape == a.shape
            assert np.all((child >= 0) & (child <= 1))
            assert np.all(~cat | (child == a) | (child == b))  # taken whole from a parent
        # each categorical gene goes to one child from each parent
        assert np.all(~cat | ((c1 == a) & (c2 == b)) | ((c1 == b) & (c2 == a)))
    for mutate in (ops.mutate_gaussian, ops.mutate_polynomial):
        y = mutate(a, rng, 1.0, 0.3 if mutate is ops.mutate_gaussian else 5.0, k)
        assert y.shape == a.shape and np.all((y >= 0) & (y <= 1))
        idx = (y * np.maximum(k, 1)).astype(int)
        assert np.allclose(
            np.where(cat, y, 0.5), np.where(cat, (idx + 0.5) / np.maximum(k, 1), 0.5)
        )
        assert np.all((k <= 1) | ~cat | (y != a))  # a mutated choice takes another option


def test_tournament_prefers_lower_losses_and_orders_lexicographically():
    rng = np.random.default_rng(0)
    losses = np.arange(10.0)
    wins = ops.tournament_select(losses, 20_000, 2, rng)
    freq = np.bincount(wins, minlength=10) / 20_000
    # binary tournament: P(i wins) = ((n - i)^2 - (n - i - 1)^2) / n^2
    expected = ((10 - np.arange(10)) ** 2 - (9 - np.arange(10)) ** 2) / 100
    np.testing.assert_allclose(freq, expected, atol=0.012)
    keys = np.array([[1.0, 5.0], [0.0, 9.0], [0.0, 3.0]])
    assert ops.tournament_select(keys, 50, 3, rng).tolist().count(2) > 30
    assert set(ops.tournament_select(keys, 50, 200, rng).tolist()) == {2}


def test_sbx_children_spread_around_parents_by_eta():
    rng = np.random.default_rng(1)
    a, b = np.full((20_000, 1), 0.4), np.full((20_000, 1), 0.6)
    tight, _ = ops.crossover_sbx(a, b, rng, eta=30.0, gene_prob=1.0)
    loose, _ = ops.crossover_sbx(a, b, rng, eta=1.0, gene_prob=1.0)
    assert np.mean(np.abs(tight - 0.5)) < np.mean(np.abs(loose - 0.5))
    # symmetric around the parents' mean, and half the children lie between the parents
    assert abs(np.mean(tight) - 0.5) < 0.005
    assert 0.45 < np.mean((tight > 0.4) & (tight < 0.6)) < 0.6


class QueuedRng:
    """Stands in for a Generator: ``random`` hands out queued values, one per call."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self, shape: Any = None) -> np.ndarray:
        return np.full(shape, self.values.pop(0))


def test_sbx_and_polynomial_mutation_match_the_textbook_formulas():
    # parents 0.4 and 0.6, eta = 2, u = 0.3: beta = 1 + 2 * 0.4 / 0.2 = 5 for both children
    beta_q = (0.3 * (2 - 5.0**-3)) ** (1 / 3)
    c1, c2 = ops.crossover_sbx(np.array([0.4]), np.array([0.6]), QueuedRng(0.0, 0.3, 0.9), 2.0)
    np.testing.assert_allclose([c1[0], c2[0]], [0.5 - beta_q * 0.1, 0.5 + beta_q * 0.1])
    assert abs(c1[0] - 0.41578) < 1e-4
    # x = 0.5, eta = 20, u = 0.25: delta_q = (2u + (1 - 2u)(1 - x)^21)^(1/21) - 1
    y = ops.mutate_polynomial(np.array([0.5]), QueuedRng(0.0, 0.25), 1.0, eta=20.0)
    np.testing.assert_allclose(y, [0.5 + (0.5 + 0.5 * 0.5**21) ** (1 / 21) - 1])
    assert abs(y[0] - 0.46753) < 1e-4


def test_blend_and_mutations_reach_the_expected_ranges():
    rng = np.random.default_rng(2)
    a, b = np.full((10_000, 1), 0.4), np.full((10_000, 1), 0.6)
    c1, _ = ops.crossover_blend(a, b, rng, alpha=0.5)
    assert c1.min() >= 0.3 - 1e-12 and c1.max() <= 0.7 + 1e-12
    assert c1.min() < 0.31 and c1.max() > 0.69  # BLX-0.5 widens by half the gap each side
    x = np.full((10_000, 1), 0.5)
    g = ops.mutate_gaussian(x, rng, 1.0, sigma=0.1)
    assert abs(np.std(g) - 0.1) < 0.005
    p = ops.mutate_polynomial(np.full((10_000, 1), 0.99), rng, 1.0, eta=20.0)
    assert p.max() <= 1.0 and np.mean(p < 0.99) > 0.45
    np.testing.assert_allclose(ops.reflect(np.array([-0.2, 1.3, 0.5, 2.4])), [0.2, 0.7, 0.5, 0.4])


# -- the strategy ------------------------------------------------------------------------------
def test_first_generation_is_random_and_whole_whatever_n():
    for n in (1, 7, 50):
        out = Genetic(population_size=12).propose([], MIXED, n, np.random.default_rng(0))
        assert len(out) == 12
        assert_in_space(out, MIXED)
    assert len(Genetic(steady_state=True).propose([], MIXED, 3, np.random.default_rng(0))) == 3


def test_define_by_run_first_call_gets_empty_dicts():
    assert Genetic(population_size=5).propose([], {}, 1, np.random.default_rng(0)) == [{}] * 5


@pytest.mark.parametrize("state", [TrialState.RUNNING, TrialState.WAITING])
def test_generation_waits_for_every_member(state):
    history = random_history(SPHERE5, 20, 0)
    g = Genetic(population_size=20)
    g.directions = ("minimize",)
    history[7] = frozen(7, history[7].params, SPHERE5, None, state=state)
    assert g.propose(history, SPHERE5, 4, np.random.default_rng(1)) == []
    history[7] = frozen(7, history[7].params, SPHERE5, 3.0)
    assert len(g.propose(history, SPHERE5, 4, np.random.default_rng(1))) == 20
    # a straggler of an older generation does not block the latest one
    history[3] = frozen(3, history[3].params, SPHERE5, None, state=TrialState.RUNNING)
    later = random_history(SPHERE5, 20, 5, batch=20)
    history += [frozen(20 + t.number, t.params, SPHERE5, t.values, batch=20) for t in later]
    assert len(g.propose(history, SPHERE5, 4, np.random.default_rng(2))) == 20


def test_same_history_and_seed_give_the_same_children_with_or_without_cache():
    history = drive(Genetic(population_size=10), MIXED, lambda p: p["w"] ** 2, 60, seed=3)
    warm = Genetic(population_size=10)
    drive(warm, MIXED, lambda p: p["w"] ** 2, 60, seed=3)  # its cache has read the same trials
    cold = Genetic(population_size=10)
    for g in (warm, cold):
        g.directions = ("minimize",)
    a = warm.propose(history, MIXED, 1, np.random.default_rng([3, 60]))
    b = cold.propose(history, MIXED, 1, np.random.default_rng([3, 60]))
    assert a == b and len(a) == 10
    assert a != cold.propose(history, MIXED, 1, np.random.default_rng([4, 60]))


def test_children_do_not_depend_on_the_order_names_were_inferred_in():
    history = drive(Genetic(population_size=10), MIXED, lambda p: p["w"] ** 2, 30, seed=0)
    backwards = dict(reversed(list(MIXED.items())))
    outs = []
    for space in (MIXED, backwards):
        g = Genetic(population_size=10)
        g.directions = ("minimize",)
        outs.append(g.propose(history, space, 1, np.random.default_rng(9)))
        assert all(list(p) == list(space) for p in outs[-1])  # the caller's order
    assert outs[0] == outs[1]


def test_cache_resets_when_handed_another_history():
    g = Genetic(population_size=10)
    h1 = drive(g, SPHERE5, sphere, 40, seed=0)
    h2 = drive(Genetic(population_size=10), SPHERE5, lambda p: -sphere(p), 40, seed=1)
    fresh = Genetic(population_size=10)
    fresh.directions = ("minimize",)
    rng = [1, 40]
    assert g.propose(h2, SPHERE5, 1, np.random.default_rng(rng)) == fresh.propose(
        h2, SPHERE5, 1, np.random.default_rng(rng)
    )
    assert len(h1) == 40


def test_no_duplicates_until_a_small_space_runs_out():
    space = {"k": Int(0, 9), "c": Choice(["a", "b", "c"])}
    history = drive(Genetic(population_size=6), space, lambda p: (p["k"] - 4) ** 2, 100, seed=0)
    keys = [params_key(t.params) for t in history]
    assert len(history) == 30 and len(set(keys)) == 30  # every point once, then exhausted


def test_duplicate_children_are_remutated_not_proposed():
    space = {"k": Int(0, 3), "x": Float(0.0, 1.0)}
    g = Genetic(population_size=8, crossover_prob=0.0, mutation_prob=0.0)  # children = parents
    g.directions = ("minimize",)
    history = random_history(space, 8, 0)
    out = g.propose(history, space, 1, np.random.default_rng(0))
    assert len(out) == 8
    taken = {params_key(t.params) for t in history}
    assert len({params_key(p) for p in out} | taken) == 16


@pytest.mark.parametrize("mutation", ["gaussian", "polynomial"])
@pytest.mark.parametrize("prob", [0.3, 0.6])
def test_mutation_prob_is_the_share_of_genes_that_change(mutation, prob):
    # Crossover off: each child is a copy of one parent with a share ``mutation_prob`` of its
    # genes moved. 100 children of 20 genes: the share's standard error is about 0.01.
    d = 20
    space = {f"x{i:02d}": Float(0.0, 1.0) for i in range(d)}
    g = Genetic(population_size=100, crossover_prob=0.0, mutation=mutation, mutation_prob=prob)
    g.directions = ("minimize",)
    history = random_history(space, 100, seed=1)
    parents = np.array([encode(t.params, space) for t in history])
    children = g.propose(history, space, 1, np.random.default_rng(2))
    assert len(children) == 100
    changed = []
    for child in children:
        same = (np.abs(parents - encode(child, space)) < 1e-12).sum(axis=1)
        first, second = np.sort(same)[-2:][::-1]
        assert first >= 1 and second == 0  # one parent's genes, not a mix or a random point
        changed.append(d - int(same.max()))
    share = float(np.mean(changed)) / d
    assert abs(share - prob) < 0.05, share


def near(params: dict[str, Any], point: dict[str, Any], space: Space, tol: float) -> bool:
    return bool(np.max(np.abs(encode(params, space) - encode(point, space))) < tol)


def test_elites_from_older_generations_stay_parents():
    space = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
    best = {"x": 0.9, "y": 0.9}
    history = [frozen(0, best, space, -100.0, batch=0)]
    history += [
        frozen(i, {"x": 0.1 + i / 1e3, "y": 0.1}, space, float(i), batch=0) for i in range(1, 10)
    ]
    history += [
        frozen(10 + i, {"x": 0.3 + i / 1e3, "y": 0.3}, space, float(i), batch=10) for i in range(10)
    ]
    kw = dict(
        population_size=10,
        tournament_size=100,
        crossover_prob=0.0,
        mutation_prob=1.0,
        mutation_scale=1e-3,
    )
    for elitism, target in ((1, best), (0, {"x": 0.3, "y": 0.3})):
        g = Genetic(elitism=elitism, **kw)
        g.directions = ("minimize",)
        out = g.propose(history, space, 1, np.random.default_rng(0))
        assert len(out) == 10 and all(near(p, target, space, 0.02) for p in out), elitism


def test_failed_and_pruned_trials_are_never_parents_but_enqueued_ones_are():
    space = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
    history = []
    for i in range(10):
        good = i % 2 == 0
        point = {"x": 0.8 + i / 1e3, "y": 0.8} if good else {"x": 0.2 + i / 1e3, "y": 0.2}
        state = TrialState.COMPLETE if good else (TrialState.FAIL, TrialState.PRUNED)[i % 4 // 2]
        value = float(10 + i) if good else (None if state is TrialState.FAIL else -1e9)
        history.append(frozen(i, point, space, value, state=state))
    kw = dict(
        population_size=10, elitism=0, crossover_prob=0.0, mutation_prob=1.0, mutation_scale=1e-3
    )
    g = Genetic(**kw)
    g.directions = ("minimize",)
    out = g.propose(history, space, 1, np.random.default_rng(0))
    assert len(out) == 10 and all(p["x"] > 0.7 for p in out)
    # an enqueued trial (no batch) joins the pool and wins the tournaments
    history.append(frozen(10, {"x": 0.5, "y": 0.5}, space, -5.0, batch=None))
    g = Genetic(tournament_size=100, **kw)
    g.directions = ("minimize",)
    out = g.propose(history, space, 1, np.random.default_rng(0))
    assert all(near(p, {"x": 0.5, "y": 0.5}, space, 0.02) for p in out)


def test_too_few_complete_parents_give_a_random_generation():
    history = random_history(SPHERE5, 10, 0)
    history = [frozen(t.number, t.params, SPHERE5, None, state=TrialState.FAIL) for t in history]
    history[4] = frozen(4, history[4].params, SPHERE5, 1.0)
    g = Genetic(population_size=10, elitism=0)
    g.directions = ("minimize",)
    out = g.propose(history, SPHERE5, 1, np.random.default_rng(1))
    assert len(out) == 10
    assert_in_space(out, SPHERE5)


def test_maximize_and_several_objectives_select_on_signed_losses():
    space = {"x": Float(0.0, 1.0)}
    history = [
        frozen(i, {"x": i / 10 + 0.01}, space, (float(i), float(-i)), batch=0) for i in range(10)
    ]
    for directions, side in ((("maximize", "minimize"), 1), (("minimize", "maximize"), 0)):
        g = Genetic(
            population_size=10,
            tournament_size=100,
            elitism=0,
            crossover_prob=0.0,
            mutation_prob=1.0,
            mutation_scale=1e-3,
        )
        g.directions = directions
        out = g.propose(history, space, 1, np.random.default_rng(0))
        assert all(abs(p["x"] - (0.91 if side else 0.01)) < 0.02 for p in out)


def test_steady_state_answers_n_children_at_once_while_others_run():
    g = Genetic(population_size=10, steady_state=True)
    g.directions = ("minimize",)
    history = random_history(SPHERE5, 15, 0)
    for i in (2, 5, 9):
        history[i] = frozen(i, history[i].params, SPHERE5, None, state=TrialState.RUNNING)
    for n in (1, 3, 7):
        out = g.propose(history, SPHERE5, n, np.random.default_rng(n))
        assert len(out) == n
        assert_in_space(out, SPHERE5)
    best = drive(Genetic(population_size=20, steady_state=True), SPHERE5, sphere, 300, seed=0)
    assert min(t.values[0] for t in best) < 1.0


def test_beats_random_search_on_the_sphere_with_the_same_budget():
    ga, rs = [], []
    for seed in range(5):
        ga.append(min(t.values[0] for t in drive(Genetic(), SPHERE5, sphere, 300, seed)))
        rs.append(min(t.values[0] for t in drive(Random(), SPHERE5, sphere, 300, seed)))
    assert all(g < r for g, r in zip(ga, rs)), (ga, rs)
    assert np.mean(ga) < 0.35 * np.mean(rs), (ga, rs)


def test_generations_improve_on_a_mixed_space():
    def loss(p: dict[str, Any]) -> float:
        return (
            (np.log10(p["lr"]) + 2) ** 2
            + abs(p["units"] - 64) / 64
            + (p["act"] != "gelu")
            + (p["bs"] != 32)
            + p["w"] ** 2
            + p["drop"]
            + (p["layers"] - 5) ** 2 / 10
        )

    ga, rs = [], []
    for seed in range(5):
        history = drive(Genetic(population_size=20), MIXED, loss, 400, seed=seed)
        assert_in_space([t.params for t in history], MIXED)
        values = [t.values[0] for t in history]
        # the population moves: the last generation's median is far below the first one's
        assert np.median(values[-20:]) < 0.3 * np.median(values[:20])
        ga.append(min(values))
        rs.append(min(t.values[0] for t in drive(Random(), MIXED, loss, 400, seed=seed)))
    assert all(g < r for g, r in zip(ga, rs)), (ga, rs)
    assert np.mean(ga) < 0.5 * np.mean(rs), (ga, rs)


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"population_size": 1}, "an int >= 2"),
        ({"population_size": 2.0}, "an int >= 2"),
        ({"population_size": True}, "an int >= 2"),
        ({"crossover": "one-point"}, "one of 'uniform', 'sbx', 'blend'"),
        ({"mutation": "cauchy"}, "one of 'gaussian', 'polynomial'"),
        ({"crossover_prob": 1.5}, "a float in [0, 1]"),
        ({"mutation_prob": -0.1}, "a float in [0, 1] or None"),
        ({"mutation_scale": 0}, "a float > 0"),
        ({"crossover_eta": -1.0}, "a float >= 0"),
        ({"mutation_eta": float("nan")}, "a float >= 0"),
        ({"blend_alpha": "a"}, "a float >= 0"),
        ({"tournament_size": 0}, "an int >= 1"),
        ({"elitism": -1}, "an int >= 0"),
        ({"elitism": 21}, "an int in [0, population_size=20]"),
        ({"steady_state": "yes"}, "a bool"),
    ],
)
def test_validation_messages(kwargs, rule):
    ((name, got),) = kwargs.items()
    message = f"The {name!r} parameter of Genetic must be {rule}. Got {got!r} instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        Genetic(**kwargs)


def test_validation_message_reads_in_full():
    message = "The 'population_size' parameter of Genetic must be an int >= 2. Got 1 instead."
    with pytest.raises(ValueError) as info:
        Genetic(population_size=1)
    assert str(info.value) == message


def test_defaults_and_repr():
    g = Genetic()
    assert (g.population_size, g.crossover, g.mutation, g.elitism) == (20, "sbx", "gaussian", 1)
    assert g.name == "genetic" and repr(g).startswith("Genetic(population_size=20,")
    assert "_history_cache" not in repr(g)
    # public attributes are the constructor's arguments, so a stored study can rebuild it
    custom = Genetic(population_size=8, crossover="blend", mutation_prob=0.3, steady_state=True)
    config = {k: v for k, v in vars(custom).items() if not k.startswith("_")}
    assert repr(Genetic(**config)) == repr(custom)


# -- end to end through a study ----------------------------------------------------------------
def test_study_improves_and_is_deterministic_across_n_jobs():
    space = {
        "x": ts.Float(-5.0, 5.0),
        "y": ts.Float(1e-3, 1e3, log=True),
        "k": ts.Choice(["a", "b", "c"]),
        "n": ts.Int(1, 64, log=True),
    }

    def objective(trial: Any) -> float:
        p = trial.params
        return p["x"] ** 2 + np.log10(p["y"]) ** 2 + (p["k"] != "b") + abs(p["n"] - 8) / 8

    runs = {}
    for n_jobs in (1, 3):
        study = ts.create_study(strategy="genetic", space=space, seed=0)
        study.optimize(objective, n_trials=200, n_jobs=n_jobs, progress=False)
        runs[n_jobs] = [(t.number, t.params, t.values) for t in study.trials]
        values = [t.values[0] for t in study.trials]
        assert len(values) == 200 and min(values[-40:]) < 0.5 * min(values[:20])
    assert runs[1] == runs[3]
    rand = ts.create_study(strategy="random", space=space, seed=0)
    rand.optimize(objective, n_trials=200, progress=False)
    assert min(v for _, _, (v,) in runs[1]) < rand.best_value


def test_define_by_run_study_learns_the_space_and_stays_deterministic():

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        k = trial.suggest_categorical("k", ["a", "b", "c"])
        n = trial.suggest_int("n", 1, 64, log=True)
        return x * x + (k != "b") + abs(n - 8) / 8

    runs = {}
    for n_jobs in (1, 3):
        study = ts.create_study(strategy="genetic", seed=0)
        study.optimize(objective, n_trials=120, n_jobs=n_jobs, progress=False)
        runs[n_jobs] = [(t.params, t.values) for t in study.trials]
        values = [t.values[0] for t in study.trials]
        assert min(values[-20:]) < 0.25 * min(values[:20])
    assert runs[1] == runs[3]
