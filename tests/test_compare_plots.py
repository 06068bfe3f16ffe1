"""The comparison's figures: every technique visible, a readable value range, equal panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tunesmith as ts  # noqa: E402
from tunesmith.compare.model import ComparisonData, Evaluation, RunRecord  # noqa: E402
from tunesmith.compare.plot_layout import line_styles, space_limits, value_frame  # noqa: E402
from tunesmith.compare.plots import convergence_figure, points_figure  # noqa: E402


def _data(values_by_technique, space=None, direction="minimize", params=None):
    space = space or {"x": ts.Float(-4.0, 4.0)}
    records = []
    for technique, runs in values_by_technique.items():
        for seed, values in enumerate(runs):
            evaluations = [
                Evaluation(v, 0.0, params(i) if params else {"x": 0.0})
                for i, v in enumerate(values)
            ]
            records.append(RunRecord(technique, seed, evaluations, wall=1.0))
    budget = max(len(v) for runs in values_by_technique.values() for v in runs)
    return ComparisonData("c", direction, space, budget, [0, 1], list(values_by_technique), records)


def test_styles_differ_for_every_technique_and_markers_interleave():
    styles = line_styles(8, budget=80)
    assert len({(s.color, s.dash, s.marker) for s in styles}) == 8
    assert len({s.dash for s in styles[:4]}) == 4
    assert sorted(s.start for s in styles) == [0, 1, 2, 3, 5, 6, 7, 8]  # 10 * i // 8
    assert all(s.every == 10 for s in styles)


def test_the_frame_cuts_early_values_that_would_squash_the_rest():
    curve = np.array([1000.0, 1000.0] + [5.0 - 0.1 * i for i in range(38)])
    frame = value_frame([curve], flip=1.0)
    assert frame.clipped_from == 5 and frame.high == pytest.approx(curve[4])
    assert frame.low == pytest.approx(curve[-1]) and frame.log  # positive, three decades
    shifted = value_frame([curve - 10.0], flip=1.0)  # the same shape below zero: linear
    assert shifted.clipped_from == 5 and not shifted.log


def test_the_frame_keeps_everything_when_nothing_squashes():
    curve = np.array([9.0, 8.0, 6.0, 5.0, 4.5, 4.0, 3.9, 3.8, 3.7, 3.6])
    frame = value_frame([curve], flip=1.0)
    assert frame.clipped_from is None and (frame.low, frame.high) == (3.6, 9.0)


def test_the_frame_is_logarithmic_over_two_decades_of_positive_values():
    frame = value_frame([np.array([500.0, 50.0, 2.0, 1.5]), np.array([300.0, 3.0, 1.2, 1.0])], 1.0)
    assert frame.log and frame.clipped_from is None
    assert not value_frame([np.array([500.0, 50.0, -2.0, -3.0])], 1.0).log
    assert value_frame([np.array([np.nan, np.nan])], 1.0) is None


def test_for_maximization_the_frame_cuts_the_early_low_values():
    losses = -np.array([0.0, 0.0] + [0.90 + 0.001 * i for i in range(38)])  # accuracy, as losses
    frame = value_frame([losses], flip=-1.0)
    assert frame.clipped_from == 5 and -frame.high == pytest.approx(0.902)


def test_equal_curves_stay_visible_and_the_axis_is_cut_where_runs_settle():
    run = [1000.0, 1000.0] + [5.0 - 0.1 * i for i in range(38)]
    fig = convergence_figure(_data({"random": [run, run], "tpe": [run, run]}), None, plt)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label().startswith(("random", "tpe"))]
    assert len(lines) == 2
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker()
    assert lines[0].get_markevery() != lines[1].get_markevery()
    low, high = ax.get_ylim()
    assert high < 10.0 and low < 1.3  # the 1000s are off the frame, the end is inside it
    assert any("earlier values are cut" in t.get_text() for t in ax.texts)
    plt.close(fig)


def test_every_points_panel_spans_the_declared_space():
    space = {"x": ts.Float(-4.0, 4.0), "lr": ts.Float(1e-5, 1e-1, log=True)}

    def params(i):
        return {"x": -1.0 + 0.01 * i, "lr": 1e-3}

    data = _data({"random": [[1.0] * 10], "tpe": [[2.0] * 10]}, space, params=params)
    fig = points_figure(data, contours=False, plt=plt)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel() == "x"]
    assert len(panels) == 2
    for ax in panels:
        assert ax.get_xlim() == pytest.approx(space_limits(space["x"]))
        assert ax.get_ylim() == pytest.approx(space_limits(space["lr"]))
        assert ax.get_yscale() == "log"
    assert space_limits(space["x"]) == pytest.approx((-4.16, 4.16))
    plt.close(fig)


def test_one_dimensional_panels_share_the_value_axis():
    data = _data(
        {"a": [[1.0, 2.0, 3.0]], "b": [[10.0, 20.0, 30.0]]},
        params=lambda i: {"x": float(i)},
    )
    fig = points_figure(data, contours=False, plt=plt)
    a, b = [ax for ax in fig.axes if ax.get_xlabel() == "x"]
    assert a.get_ylim() == b.get_ylim() and a.get_ylim()[1] >= 30.0
    plt.close(fig)
