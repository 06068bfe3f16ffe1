"""The rules that keep figures cheap to draw hold, and lose nothing of the data shown."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from tunesmith import Choice, Float, Int
from tunesmith.ranking import first_front, signs
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz import (
    StudySource,
    plot_edf,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
)
from tunesmith.viz.frame import TICKS, pin
from tunesmith.viz.params import pareto_data
from tunesmith.viz.render import EDF_POINTS, new_figure
from tunesmith.viz.source import param_axes, values_matrix

SPACE = {
    "lr": Float(1e-5, 1e-1, log=True),
    "n": Int(1, 9),
    "opt": Choice(["adam", "sgd"]),
    "m": Float(0.0, 1.0),
}


def _study(count: int, scale: float = 1.0) -> StudySource:
    """``count`` completed trials (every 7th failed) on three kinds of parameter."""
    rng = np.random.default_rng(0)
    trials = []
    for i in range(count):
        params = {"lr": 10 ** rng.uniform(-5, -1), "n": int(rng.integers(1, 10)), "opt": "sgd"}
        if 20 <= i < 60:  # a parameter of some trials only: its panel has fewer points
            params["m"] = float(rng.random())
        failed = i % 7 == 6
        value = None if failed else (scale * float(rng.random()), float(rng.random()))
        state = TrialState.FAIL if failed else TrialState.COMPLETE
        trials.append(FrozenTrial(i, state, params, dict(SPACE), values=value))
    return StudySource(f"{count} trials", ("minimize", "minimize"), tuple(trials))


def _png_level(figure, **kwargs) -> int:
    """The FLEVEL bits of the zlib stream in the PNG's first IDAT chunk (0: fastest, 3: max)."""
    data = io.BytesIO()
    figure.savefig(data, format="png", dpi=30, **kwargs)
    raw, at = data.getvalue(), 8
    while True:
        length, kind = struct.unpack(">I4s", raw[at : at + 8])
        if kind == b"IDAT":
            return raw[at + 9] >> 6
        at += 12 + length


def test_pngs_are_compressed_fast_unless_asked_otherwise() -> None:
    figure = new_figure()
    figure.add_subplot().plot([0, 1], [0, 1])
    assert _png_level(figure) == 0  # zlib level 1
    assert _png_level(figure, pil_kwargs={"compress_level": 9}) == 3


def test_labels_stay_put_whatever_the_tick_labels() -> None:
    lefts = []
    for scale in (1.0, 123456.0):
        figure = new_figure(16.0, 8.0)  # room for a dozen ticks on each axis
        axes = figure.add_subplot()
        axes.plot([0, 7], [0, scale])
        pin(axes, "title", "x", "y")
        figure.canvas.draw()
        lefts.append(axes.yaxis.label.get_window_extent().x1)
        for ticks, (low, high) in ((axes.get_xticks(), (0, 7)), (axes.get_yticks(), (0, scale))):
            shown = [t for t in ticks if low <= t <= high]
            assert 2 <= len(shown) <= TICKS + 1
    assert lefts[0] == pytest.approx(lefts[1])
    box = axes.get_window_extent()  # 0.62 inches left of the axes, at 100 dpi
    assert box.x0 - lefts[1] == pytest.approx(62.0, abs=1.0)


def test_edf_is_thinned_to_its_steps_with_its_ends_and_count() -> None:
    study = _study(3000)
    figure = plot_edf([study])
    line = figure.axes[0].lines[0]
    values = values_matrix([t for t in study.trials if t.values], 2)[:, 0]
    assert len(line.get_xdata()) <= EDF_POINTS
    assert line.get_xdata().min() == values.min() and line.get_xdata().max() == values.max()
    label = figure.axes[0].get_legend().get_texts()[0].get_text()
    assert label == f"3000 trials ({values.size} values)"
    # thinning moves the curve by at most 1 / EDF_POINTS of its height at any value
    x, y = line.get_xdata(), line.get_ydata()
    exact = np.searchsorted(np.sort(values), x, side="right") / values.size
    assert np.abs(exact - y).max() <= 1.0 / EDF_POINTS + 1e-12


def test_parallel_coordinates_draw_the_colour_scale_on_the_objective_axis() -> None:
    figure = plot_parallel_coordinates(_study(200))
    assert len(figure.axes) == 1  # no colourbar axes
    axes = figure.axes[0]
    (strip,) = axes.images
    objective = len(axes.get_xticks()) - 1
    left, right, bottom, top = strip.get_extent()
    assert left < objective < right and (bottom, top) == (0.0, 1.0)
    assert strip.get_cmap().name == axes.collections[0].get_cmap().name


def test_slice_panels_share_one_objective_range_and_colour_scale() -> None:
    figure = plot_slice(_study(300, scale=50.0))
    panels = [a for a in figure.axes if a.get_label() != "<colorbar>"]
    assert len(panels) == 4
    assert len({a.get_ylim() for a in panels}) == 1
    low, high = panels[0].get_ylim()
    ys = np.concatenate([a.collections[0].get_offsets()[:, 1] for a in panels])
    assert low < ys.min() and ys.max() < high
    assert len(panels[0].get_yticks()) > 1 and not any(len(a.get_yticks()) for a in panels[1:])
    norms = {(a.collections[0].norm.vmin, a.collections[0].norm.vmax) for a in panels}
    assert len(norms) == 1
    assert all(a.collections[0].get_linewidths()[0] == 0 for a in panels)


def test_pareto_front_keeps_its_labels_and_title() -> None:
    axes = plot_pareto_front(_study(100)).axes[0]
    assert axes.get_xlabel() == "objective 0 (minimize)"
    assert axes.get_ylabel() == "objective 1 (minimize)"
    assert axes.get_title() == "Pareto front of '100 trials'"


@pytest.mark.parametrize("directions", [("minimize", "maximize"), ("maximize", "minimize")])
def test_the_pareto_legend_sits_away_from_the_ideal_corner(directions) -> None:
    study = _study(60)
    figure = plot_pareto_front(StudySource("s", directions, study.trials))
    figure.canvas.draw()
    axes = figure.axes[0]
    box, frame = axes.get_legend().get_window_extent(), axes.get_window_extent()
    right = directions[0] == "minimize"  # the ideal is left: the legend goes right
    upper = directions[1] == "minimize"
    assert (box.x0 > frame.x0 + frame.width / 2) == right
    assert (box.y0 > frame.y0 + frame.height / 2) == upper


@pytest.mark.parametrize("directions", [("minimize", "maximize"), ("maximize", "maximize")])
def test_the_pareto_front_is_exact_among_ties_and_repeats(directions) -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 5, size=(80, 2)).astype(float)  # many equal values and rows
    trials = [
        FrozenTrial(i, TrialState.COMPLETE, {}, {}, values=tuple(v)) for i, v in enumerate(values)
    ]
    data = pareto_data(trials, directions=directions, max_points=1000)
    assert data.numbers.tolist() == list(range(80))
    assert data.on_front.tolist() == first_front(values * signs(directions)).tolist()
    assert 1 < data.on_front.sum() < 80


def test_values_matrix_reads_missing_values_as_nan() -> None:
    trials = [
        FrozenTrial(0, TrialState.COMPLETE, {}, {}, values=(1.0, None)),
        FrozenTrial(1, TrialState.FAIL, {}, {}),
        FrozenTrial(2, TrialState.COMPLETE, {}, {}, values=(3.0,)),  # wrong length
        FrozenTrial(3, TrialState.COMPLETE, {}, {}, values=(4.0, 5.0)),
    ]
    got = values_matrix(trials, 2)
    assert np.array_equal(got, [[1.0, np.nan], [np.nan] * 2, [np.nan] * 2, [4.0, 5.0]], True)
    assert values_matrix([], 3).shape == (0, 3)


def test_parameter_axes_span_every_trial_even_those_lacking_a_parameter() -> None:
    dists = {"x": Float(0.0, 1.0), "c": Choice(["a", "b"])}
    trials = [
        FrozenTrial(0, TrialState.COMPLETE, {"x": 2.5}, dists, values=(1.0,)),
        FrozenTrial(1, TrialState.COMPLETE, {"c": "z"}, dists, values=(1.0,)),
        FrozenTrial(2, TrialState.COMPLETE, {"x": -1.0, "c": "a"}, dists, values=(1.0,)),
    ]
    c, x = param_axes(trials, None, "test")
    assert (x.low, x.high, x.scale) == (-1.0, 2.5, "linear")
    assert c.categories == ("a", "b", "z")
