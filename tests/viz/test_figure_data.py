"""Figure data of hand-made studies, checked by number (no matplotlib involved)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunesmith import Choice, Float, Int, create_study
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz import (
    StudySource,
    contour_data,
    downsample,
    edf_data,
    history_data,
    intermediate_data,
    parallel_data,
    pareto_data,
    slice_data,
    timeline_data,
)
from tunesmith.viz.history import best_so_far
from tunesmith.viz.source import param_axis

C, P, F, R = TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING
X = Float(0.0, 10.0)
LR = Float(1e-4, 1.0, log=True)
OPT = Choice(["adam", "sgd"])


def trial(number, state=C, values=None, params=None, **kw):
    params = params or {}
    dists = {"x": X, "lr": LR, "opt": OPT, "n": Int(1, 8)}
    return FrozenTrial(
        number,
        state,
        params,
        {k: dists[k] for k in params},
        values=None if values is None else tuple(values),
        **kw,
    )


def source(trials, directions=("minimize",)):
    return StudySource("hand", tuple(directions), tuple(trials))


def test_best_so_far_follows_the_direction():
    values = np.array([5.0, 3.0, np.nan, 4.0, 1.0, 2.0])
    states = ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert best_so_far(values, states, "minimize").tolist() == [5, 3, 3, 3, 1, 1]
    assert best_so_far(values, states, "maximize").tolist() == [5, 5, 5, 5, 5, 5]
    rising = np.array([1.0, 0.5, 2.0, 3.0])
    assert best_so_far(rising, ["COMPLETE"] * 4, "maximize").tolist() == [1, 1, 2, 3]


def test_history_skips_pruned_and_failed_values_for_the_best():
    trials = [
        trial(0, F, error="boom"),
        trial(1, P, values=[-100.0]),  # a pruned value is never the best
        trial(2, C, values=[4.0]),
        trial(3, R),
        trial(4, C, values=[2.0]),
    ]
    data = history_data(source(trials))
    assert data.numbers.tolist() == [0, 1, 2, 3, 4]
    assert data.states == ["FAIL", "PRUNED", "COMPLETE", "RUNNING", "COMPLETE"]
    best = data.best[:, 0]
    assert math.isnan(best[0]) and math.isnan(best[1])
    assert best[2:].tolist() == [4.0, 4.0, 2.0]
    assert np.isnan(data.values[[0, 3], 0]).all()


def test_history_of_two_objectives_has_a_best_per_direction():
    trials = [trial(i, C, values=v) for i, v in enumerate([(3, 1), (1, 0), (2, 5)])]
    data = history_data(source(trials, ("minimize", "maximize")))
    assert data.best.tolist() == [[3, 1], [1, 1], [1, 5]]


def test_history_downsampling_keeps_the_best_and_every_improvement():
    values = [200.0 + i % 7 for i in range(1000)]
    values[203], values[301], values[617] = 90.0, 50.0, -5.0  # improvements
    values[700:720] = range(20)  # the ten best after -5: 203 and 301 are not among them
    trials = [trial(i, C, values=[v]) for i, v in enumerate(values)]
    data = history_data(source(trials), max_points=50)
    kept = data.numbers.tolist()
    assert len(kept) == 50 and data.total == 1000
    assert {0, 203, 301, 617, 999} <= set(kept)
    true_best = np.minimum.accumulate(values)
    assert data.best[:, 0].tolist() == true_best[kept].tolist()


def test_downsample_keeps_what_it_must():
    picked = downsample(100, 10, [37, 99])
    assert len(picked) == 10 and {37, 99} <= set(picked.tolist()) and 0 in picked
    assert downsample(5, 10).tolist() == [0, 1, 2, 3, 4]
    assert downsample(100, 3, [1, 2, 3, 4]).tolist() == [1, 2, 3, 4]


def test_intermediate_marks_pruned_curves():
    trials = [
        trial(0, C, values=[1.0], intermediate={0: 3.0, 1: 2.0, 2: 1.0}),
        trial(1, P, intermediate={0: 5.0}),
        trial(2, C, values=[2.0]),  # reported nothing: no curve
    ]
    data = intermediate_data(source(trials))
    assert [(c.number, c.state) for c in data.curves] == [(0, "COMPLETE"), (1, "PRUNED")]
    assert data.curves[0].steps.tolist() == [0, 1, 2]
    assert data.curves[0].values.tolist() == [3.0, 2.0, 1.0]


def test_slice_points_and_axes():
    trials = [
        trial(0, C, [3.0], {"x": 1.0, "lr": 0.01, "opt": "sgd"}),
        trial(1, C, [1.0], {"x": 2.0, "lr": 0.1, "opt": "adam"}),
        trial(2, F, None, {"x": 9.0, "lr": 0.5, "opt": "adam"}),
        trial(3, C, [2.0], {"x": 5.0, "lr": 0.001}),  # conditional: no opt
    ]
    data = slice_data(source(trials))
    panels = {p.axis.name: p for p in data.panels}
    assert list(panels) == ["lr", "opt", "x"]
    assert panels["x"].x.tolist() == [1.0, 2.0, 5.0] and panels["x"].y.tolist() == [3, 1, 2]
    assert panels["lr"].axis.scale == "log" and panels["x"].axis.scale == "linear"
    opt = panels["opt"]
    assert opt.axis.scale == "categorical" and opt.axis.categories == ("adam", "sgd")
    assert opt.x.tolist() == [1.0, 0.0] and opt.numbers.tolist() == [0, 1]


def test_param_axis_without_distributions_infers_the_kind():
    trials = [FrozenTrial(i, C, {"k": v}, {}, values=(1.0,)) for i, v in enumerate([1, 1000, 10])]
    assert param_axis(trials, "k").scale == "log"
    named = [FrozenTrial(0, C, {"k": True}, {}, values=(1.0,))]
    assert param_axis(named, "k").categories == ("true",)


def test_parallel_coordinates_scale_each_axis_to_the_unit():
    trials = [
        trial(0, C, [1.0], {"x": 0.0, "lr": 1e-4}),
        trial(1, C, [2.0], {"x": 10.0, "lr": 1e-2}),
        trial(2, C, [3.0], {"x": 5.0}),  # define-by-run: no lr
    ]
    data = parallel_data(source(trials), params=["x", "lr"])
    assert [a.name for a in data.axes] == ["x", "lr"]
    assert data.unit[:, 0].tolist() == [0.0, 1.0, 0.5]
    assert data.unit[0, 1] == pytest.approx(0.0) and data.unit[1, 1] == pytest.approx(0.5)
    assert math.isnan(data.unit[2, 1]) and data.values.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="'params' parameter of parallel_data"):
        parallel_data(source(trials), params=["nope"])


def test_contour_grid_shape_and_exact_at_points():
    trials = [
        trial(i, C, [float(i)], {"x": x, "opt": o})
        for i, (x, o) in enumerate([(0.0, "adam"), (10.0, "adam"), (5.0, "sgd")])
    ]
    data = contour_data(source(trials), ["x", "opt"], resolution=11)
    assert data.grid_z.shape == (2, 11)  # two categories by eleven x values
    assert data.grid_x.tolist() == [float(v) for v in range(11)]
    assert data.grid_z[0, 0] == pytest.approx(0.0) and data.grid_z[0, 10] == pytest.approx(1.0)
    assert np.allclose(data.grid_z[1], 2.0)  # only the sgd point informs the sgd row
    logs = [trial(i, C, [1.0], {"x": 1.0 + i, "lr": 10.0**-i}) for i in range(3)]
    grid = contour_data(source(logs), ["lr", "x"], resolution=5)
    assert grid.grid_z.shape == (5, 5)
    assert grid.grid_x.tolist() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    with pytest.raises(ValueError, match="two parameters"):
        contour_data(source(logs), ["x"])


def test_pareto_front_membership():
    points = [(1, 5), (2, 2), (5, 1), (3, 3), (4, 4), (2, 6)]
    trials = [trial(i, C, p) for i, p in enumerate(points)] + [trial(6, F)]
    data = pareto_data(source(trials, ("minimize", "minimize")))
    assert data.numbers[data.on_front].tolist() == [0, 1, 2]
    flipped = pareto_data(source(trials, ("minimize", "maximize")))
    assert flipped.numbers[flipped.on_front].tolist() == [0, 5]  # (1, 5) and (2, 6)
    thinned = pareto_data(source(trials, ("minimize", "minimize")), max_points=3)
    assert thinned.numbers.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="'objectives' parameter of pareto_data"):
        pareto_data(source(trials, ("minimize", "minimize")), objectives=[0, 2])


def test_edf_of_several_studies():
    one = source([trial(i, C, [v]) for i, v in enumerate([3.0, 1.0, 2.0])] + [trial(3, F)])
    two = StudySource("other", ("minimize",), (trial(0, C, [10.0]),))
    data = edf_data([one, two])
    assert data.curves[0].values.tolist() == [1.0, 2.0, 3.0]
    assert data.curves[0].fraction.tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert data.curves[1].name == "other" and data.curves[1].fraction.tolist() == [1.0]
    up = StudySource("up", ("maximize",), ())
    with pytest.raises(ValueError, match="share the direction"):
        edf_data([one, up])


def test_timeline_runs_from_the_first_start():
    trials = [
        trial(0, C, [1.0], started=100.0, finished=103.0),
        trial(1, R, started=101.0),
        trial(2, TrialState.WAITING),
    ]
    data = timeline_data(source(trials))
    assert data.start[:2].tolist() == [0.0, 1.0]
    assert data.finish[:2].tolist() == [3.0, 3.0]  # running: up to the latest time seen
    assert math.isnan(data.start[2]) and data.states[2] == "WAITING"


def test_a_study_object_is_read_like_its_trials():
    study = create_study(direction="maximize", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    data = history_data(study)
    assert data.directions == ("maximize",) and data.total == 5
    assert data.best[-1, 0] == max(t.value for t in study.trials)
    with pytest.raises(ValueError, match="'study' parameter of history_data"):
        history_data(42)
    with pytest.raises(ValueError, match="'max_points' parameter of slice_data"):
        slice_data(study, max_points=1)
