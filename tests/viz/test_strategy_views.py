"""Each strategy's own view, the worker lanes and the importance data, checked by number."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunesmith import Float, create_study
from tunesmith.strategies.genetic import Genetic
from tunesmith.strategies.nsga2 import NSGA2
from tunesmith.strategies.tpe import TPE
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz import (
    CmaesView,
    GenerationsView,
    GradientView,
    HistoryNote,
    StudySource,
    TpeView,
    importance_data,
    lane_data,
    strategy_view,
)
from tunesmith.viz.lanes import pack_lanes

C, F = TrialState.COMPLETE, TrialState.FAIL
X = Float(0.0, 1.0)


def _t(number, x, value, batch=None, state=C, **kw):
    attrs = {} if batch is None else {"batch": batch}
    values = None if value is None else (value if isinstance(value, tuple) else (value,))
    return FrozenTrial(number, state, {"x": x}, {"x": X}, values=values, system_attrs=attrs, **kw)


def _truncated(u: float, mu: float, sigma: float) -> float:
    """N(mu, sigma) truncated to [0, 1] at u, written out here from the definition."""
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf((1 - mu) / sigma) - cdf(-mu / sigma)
    return math.exp(-0.5 * ((u - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi) * mass)


def test_tpe_view_is_the_split_and_kernels_of_the_last_proposal():
    trials = [_t(i, 0.05 + 0.1 * i, 0.05 + 0.1 * i) for i in range(10)]
    source = StudySource("tpe", ("minimize",), tuple(trials), TPE(gamma=0.2))
    view = strategy_view(source)
    assert isinstance(view, TpeView) and (view.n_good, view.n_bad) == (2, 8)
    (panel,) = view.panels
    assert np.allclose(sorted(panel.good_x), [0.05, 0.15])
    assert not panel.discrete and np.allclose(panel.x, np.linspace(0, 1, len(panel.x)))
    # two good kernels at 0.05 and 0.15 of width 0.25 (the gap 0.1 clipped to 1 / 4), and the
    # prior N(0.5, 1), each of weight 1/3
    for u in (0.0, 0.1, 0.5, 0.9):
        i = int(round(u * (len(panel.x) - 1)))
        u = panel.x[i]
        want = sum(_truncated(u, m, s) for m, s in ((0.05, 0.25), (0.15, 0.25), (0.5, 1.0))) / 3
        assert panel.good[i] == pytest.approx(want, rel=1e-5)
    assert panel.good.mean() == pytest.approx(1.0, abs=0.01)  # a density over [0, 1]
    assert panel.bad.mean() == pytest.approx(1.0, abs=0.01)
    assert panel.good[:50].mean() > panel.bad[:50].mean()  # good trials are the low x
    assert 0 < panel.separation <= 1


def test_tpe_view_of_a_live_study_orders_by_separation():
    study = create_study(
        space={"a": Float(0, 1), "b": Float(0, 1)}, strategy=TPE(n_startup_trials=5), seed=1
    )
    study.optimize(lambda t: (t.params["a"] - 0.2) ** 2 * 10 + 0.01 * t.params["b"], n_trials=40)
    view = strategy_view(study)
    separations = [p.separation for p in view.panels]
    assert len(separations) == 2 and separations == sorted(separations, reverse=True)
    assert view.n_good == math.ceil(0.1 * 40) and not view.startup
    for order in (["a", "b"], ["b", "a"], ["b"]):
        assert [p.axis.name for p in strategy_view(study, params=order).panels] == order
    with pytest.raises(ValueError, match="The 'params' parameter of strategy_view"):
        strategy_view(study, params=["zz"])


def test_genetic_elites_and_best_by_generation():
    values = [5.0, 3.0, 4.0, 6.0, 1.0, 7.0, 2.0, 9.0, 8.0]
    trials = [_t(i, i / 10, v, batch=3 * (i // 3)) for i, v in enumerate(values)]
    trials.append(_t(9, 0.95, 0.5))  # enqueued: in no generation
    trials[2] = _t(2, 0.2, None, batch=0, state=F)
    source = StudySource("ga", ("minimize",), tuple(trials), Genetic(elitism=2))
    view = strategy_view(source)
    assert isinstance(view, GenerationsView)
    assert view.first.tolist() == [0, 3, 6] and view.gen.tolist() == [0] * 3 + [1] * 3 + [2] * 3
    assert view.best[0] == 3.0 and view.best[1] == 1.0 and view.best[2] == 2.0
    assert view.elite_gen.tolist() == [0, 0, 1, 1, 2, 2]
    assert view.elite_values[:, 0].tolist() == [3.0, 5.0, 1.0, 3.0, 1.0, 2.0]


def test_nsga2_survivors_are_the_strategy_selection():
    points = [(1.0, 4.0), (4.0, 1.0), (3.0, 3.0), (2.0, 2.0), (5.0, 5.0), (0.5, 6.0)]
    trials = [_t(i, i / 10, p, batch=3 * (i // 3)) for i, p in enumerate(points)]
    source = StudySource("ns", ("minimize", "minimize"), tuple(trials), NSGA2(population_size=3))
    view = strategy_view(source)
    after = {g: view.elite_values[view.elite_gen == g].tolist() for g in (0, 1)}
    assert sorted(after[0]) == [[1.0, 4.0], [3.0, 3.0], [4.0, 1.0]]
    assert sorted(after[1]) == [[0.5, 6.0], [2.0, 2.0], [4.0, 1.0]]  # front 1 of the pool


def test_nsga2_without_a_population_keeps_its_largest_generation():
    points = [(float(i), float(30 - i)) for i in range(30)]  # one front: every point survives
    trials = [
        _t(i, i / 30, p, batch=(0 if i < 6 else 6 if i < 30 else 30)) for i, p in enumerate(points)
    ]
    source = StudySource("ns", ("minimize", "minimize"), tuple(trials), NSGA2())
    view = strategy_view(source)
    assert [int((view.elite_gen == g).sum()) for g in (0, 1)] == [6, 24]  # not the default 20


def test_cmaes_mean_and_spread_by_generation():
    xs = [0.2, 0.4, 0.6, 0.5, 0.5, 0.5]
    trials = [_t(i, x, x, batch=3 * (i // 3)) for i, x in enumerate(xs)]
    view = strategy_view(StudySource("cma", ("minimize",), tuple(trials), {"name": "cmaes"}))
    assert isinstance(view, CmaesView) and view.names == ["x"]
    assert np.allclose(view.mean[:, 0], [0.4, 0.5])
    assert np.allclose(view.spread, [np.std([0.2, 0.4, 0.6]), 0.0])
    assert np.allclose(view.best, [0.2, 0.5])


def test_gradient_view_walks_the_iterates_of_each_batch():
    study = create_study(space={"a": Float(0, 1), "b": Float(0, 1)}, strategy="gradient", seed=0)
    study.optimize(lambda t: (t.params["a"] - 0.3) ** 2 + (t.params["b"] - 0.6) ** 2, n_trials=30)
    view = strategy_view(study)
    assert isinstance(view, GradientView)
    iterates = [t for t in study.trials if t.batch == t.number]
    assert view.numbers.tolist() == [t.number for t in iterates]
    assert np.allclose(view.x, [t.params["a"] for t in iterates])
    assert math.isnan(view.step[0])
    want = math.hypot(view.x[1] - view.x[0], view.y[1] - view.y[0])  # both axes span [0, 1]
    assert view.step[1] == pytest.approx(want)


@pytest.mark.parametrize("name", ["random", "grid", None])
def test_a_strategy_without_a_model_says_so(name):
    trials = (_t(0, 0.1, 1.0), _t(1, 0.2, 2.0))
    view = strategy_view(StudySource("s", ("minimize",), trials), strategy=name)
    assert isinstance(view, HistoryNote)
    assert ("keeps no model" in view.reason) == (name is not None)


def test_lanes_pack_overlapping_trials():
    start = np.array([0.0, 1.0, 2.0, 5.0, 1.5])
    finish = np.array([2.0, 3.0, 4.0, 6.0, 1.8])
    assert pack_lanes(start, finish).tolist() == [0, 1, 0, 0, 2]
    trials = [
        _t(i, 0.1, 1.0, started=100.0 + s, finished=100.0 + f)
        for i, (s, f) in enumerate(zip(start, finish))
    ]
    trials.append(_t(5, 0.1, None, state=TrialState.WAITING))  # never started: no bar
    data = lane_data(StudySource("w", ("minimize",), tuple(trials)))
    assert data.lanes == 3 and data.numbers.tolist() == [0, 1, 2, 3, 4]
    assert data.start.tolist() == start.tolist() and data.total == 6


def test_importance_data_sorts_and_checks():
    data = importance_data({"a": (0.5, 0.1), "b": (0.2, 0.0), "c": (0.3, 0.05)})
    assert data.names == ["b", "c", "a"] and data.std.tolist() == [0.0, 0.05, 0.1]
    assert importance_data({"a": 1.0}).std.tolist() == [0.0]
    for bad in ({}, {"a": (math.nan, 0.1)}, {"a": (-0.1, 0)}, [("a", 1.0)]):
        with pytest.raises(ValueError, match="The 'shares' parameter of importance_data"):
            importance_data(bad)


def test_the_first_front_is_rank_zero_of_the_full_sort():
    from tunesmith.ranking import nondominated_ranks
    from tunesmith.viz.source import first_front

    inf = math.inf
    assert first_front(np.array([[inf, inf]])).tolist() == [True]
    assert first_front(np.array([[1.0, inf], [2.0, inf], [inf, 0.0]])).tolist() == [1, 0, 1]
    rng = np.random.default_rng(3)
    for d in (2, 3, 4):
        for n in (1, 2, 40, 600):
            rows = rng.integers(0, 6, (n, d)).astype(float)  # ties and duplicates
            rows = np.where(rng.random((n, d)) < 0.1, np.inf, rows)  # missing values
            assert (first_front(rows, block=64) == (nondominated_ranks(rows) == 0)).all()
