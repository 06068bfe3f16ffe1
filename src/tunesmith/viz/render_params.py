"""Matplotlib figures of a study over its parameters: parallel coordinates, slices, contours,
and the Pareto front (figure data from ``viz.params``, drawn on Agg ``Figure`` objects)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.viz.frame import colour_strip, padded_range, pin
from tunesmith.viz.params import contour_data, parallel_data, pareto_data, slice_data
from tunesmith.viz.render import new_figure, note, set_param_axis
from tunesmith.viz.source import MAX_POINTS, ParamAxis, as_source, param_axes

__all__ = ["plot_contour", "plot_parallel_coordinates", "plot_pareto_front", "plot_slice"]

MAX_CONTOUR_PARAMS = 5  # at most 10 panels
# Drawing, not the data, is what a large study costs: past these, more lines or points change
# nothing one can see (the best trials are always kept), and each one costs drawing time.
MAX_LINES = 500
MAX_MARKERS = 1000


def _tick_labels(axis: ParamAxis) -> list[tuple[float, str]]:
    """(position in [0, 1], text) ticks for one parallel-coordinates axis."""
    if axis.scale == "categorical":
        spots = np.arange(len(axis.categories), dtype=float)
        return list(zip(axis.unit(spots).tolist(), [c[:12] for c in axis.categories]))
    if axis.scale == "log":
        values = np.geomspace(axis.low, axis.high, 3)
    else:
        values = np.linspace(axis.low, axis.high, 3)
    return list(zip(axis.unit(values).tolist(), [f"{v:.3g}" for v in values]))


def _shown(drawn: int, total: int) -> str:
    """'40 trials', or '1000 of 10000 trials shown (the best kept)' when thinned."""
    if drawn >= total:
        return f"{total} trials"
    return f"{drawn} of {total} completed trials shown (the best kept)"


def _draw_axes(axes: Any, data: Any) -> None:
    """The vertical axes of parallel coordinates, each with its three labelled values."""
    for j, axis in enumerate(data.axes):
        axes.axvline(j, color="k", lw=0.8)
        for position, text in _tick_labels(axis):
            axes.text(j + 0.03, position, text, fontsize=7, va="center", ha="left")
    axes.axvline(len(data.axes), color="k", lw=0.8)
    low, high = data.values.min(), data.values.max()
    for position, value in ((0.0, low), (0.5, (low + high) / 2), (1.0, high)):  # past the strip
        axes.text(len(data.axes) + 0.05, position, f"{value:.3g}", fontsize=7, va="center")


def _draw_lines(axes: Any, data: Any) -> np.ndarray:
    """The trials' lines of parallel coordinates as one collection; returns the axes' x."""
    from matplotlib.collections import LineCollection

    span = np.ptp(data.values) or 1.0
    objective = ((data.values - data.values.min()) / span)[:, None]
    unit = np.hstack([data.unit, objective])
    # the worst first, so the best trials' lines are drawn on top
    order = np.argsort(data.values if data.direction == "maximize" else -data.values)
    unit, values = unit[order], data.values[order]
    xs = np.arange(unit.shape[1], dtype=float)
    # a trial lacking a parameter skips that axis: its line joins the axes it has
    lines = LineCollection(
        [np.column_stack([xs, row])[np.isfinite(row)] for row in unit],
        cmap="viridis",
        lw=0.8,
        alpha=0.6,
    )
    lines.set_array(values)
    axes.add_collection(lines)
    return xs


def plot_parallel_coordinates(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_LINES,
) -> Any:
    """One line per completed trial through each parameter's axis and the objective's, coloured
    by the objective (its scale drawn on the objective's axis); a trial lacking a parameter
    passes that axis by. Past ``max_points`` trials, evenly thinned, the best always kept.

    Args:
        study: A Study, a StudySource, or a list of FrozenTrial.
        params: Parameters to draw (default: every parameter of a completed trial).
        directions: The objectives' directions when ``study`` is a list of trials.
        target: Index of the objective drawn.
        max_points: Most lines drawn (>= 2).

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: ``params`` names no parameter of a completed trial, or ``target`` or
            ``max_points`` breaks its rule.

    Examples:
        >>> plot_parallel_coordinates(study).savefig("parallel.png")
    """
    data = parallel_data(study, params, directions, target, max_points)
    figure = new_figure(max(6.0, 1.5 * (len(data.axes) + 1)), 5.0, left=0.3, right=0.7, bottom=0.8)
    axes = figure.add_subplot()
    if not len(data.numbers):
        note(axes, "No completed trial yet")
        axes.set_title(f"Parallel coordinates of {data.name!r}")
        return figure
    xs = _draw_lines(axes, data)
    _draw_axes(axes, data)
    names = [f"{a.name}{' (log)' if a.scale == 'log' else ''}" for a in data.axes]
    axes.set_xticks(xs, labels=[*names, f"objective ({data.direction})"], fontsize=8)
    axes.set_yticks([])
    axes.set_xlim(-0.1, xs[-1] + 0.4)
    axes.set_ylim(-0.05, 1.05)
    colour_strip(axes, float(xs[-1]))
    pin(
        axes,
        f"Parallel coordinates of {data.name!r}: {_shown(len(data.numbers), data.total)}",
    )
    return figure


def _slice_scales(data: Any) -> tuple[Any, Any, tuple[float, float]]:
    """One colour map and scale of trial numbers, and one objective range, for every panel."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap, Normalize

    # the light end of the map left out: the earliest trials stay visible on white, unedged
    shades = ListedColormap(colormaps["Blues"](np.linspace(0.25, 1.0, 192)))
    numbers = np.concatenate([p.numbers for p in data.panels] or [np.zeros(1)])
    norm = Normalize(float(numbers.min()), float(numbers.max()))
    values = np.concatenate([p.y for p in data.panels] or [np.zeros(1)])
    return shades, norm, padded_range(values)


def plot_slice(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_MARKERS,
) -> Any:
    """The objective against each parameter, one panel each (one objective range, labelled on
    the left of each row), points coloured by trial number (light: early, dark: late); past
    ``max_points`` trials, evenly thinned, the best always kept.

    Args:
        study: A Study, a StudySource, or a list of FrozenTrial.
        params: Parameters to draw (default: every parameter of a completed trial).
        directions: The objectives' directions when ``study`` is a list of trials.
        target: Index of the objective drawn.
        max_points: Most trials drawn (>= 2).

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: ``params`` names no parameter of a completed trial, or ``target`` or
            ``max_points`` breaks its rule.

    Examples:
        >>> plot_slice(study, params=["lr", "depth"]).savefig("slice.png")
    """
    data = slice_data(study, params, directions, target, max_points)
    count = max(len(data.panels), 1)
    cols = min(count, 4)
    rows = math.ceil(count / cols)
    figure = new_figure(3.2 * cols + 1, 3.0 * rows + 0.6, wspace=0.2, hspace=0.5)
    if not data.panels:
        note(figure.add_subplot(), "No completed trial yet")
    shades, norm, (low, high) = _slice_scales(data)
    for i, panel in enumerate(data.panels):
        axes = figure.add_subplot(rows, cols, i + 1)
        points = axes.scatter(panel.x, panel.y, c=panel.numbers, cmap=shades, norm=norm, s=12)
        points.set_linewidth(0)
        set_param_axis(axes, panel.axis, "x")
        axes.set_ylim(low, high)
        if i % cols:  # one objective scale per row, labelled once: its ticks would repeat it
            axes.set_yticks([])
        pin(axes, ylabel=None if i % cols else f"objective ({data.direction})")
    if data.panels:
        figure.colorbar(points, ax=figure.axes, label="trial number", shrink=0.8)
    shown = max((len(p.numbers) for p in data.panels), default=0)
    figure.suptitle(f"Slices of {data.name!r}: {_shown(shown, data.total)}")
    return figure


def plot_contour(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_POINTS,
) -> Any:
    """The objective over each pair of ``params`` (default: the first three by name): an
    interpolated map, with the trials as dots.

    One panel per pair, up to three a row; each map is an inverse-distance mean of the trials
    (``contour_data``), blank where no trial informs it. With fewer than two parameters the
    figure says so.

    Args:
        study: A Study, a StudySource, or a list of FrozenTrial.
        params: Parameters to pair (at most 5, so at most 10 panels); None for the first three
            parameters of completed trials by name.
        directions: The objectives' directions when ``study`` is a list of trials.
        target: Index of the objective drawn.
        max_points: Most trials drawn per panel (>= 2); the best are kept.

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: ``params`` names more than 5 parameters or one that no completed trial
            has, or ``study``, ``target`` or ``max_points`` breaks its rule.

    Examples:
        >>> plot_contour(study, params=["lr", "depth"]).savefig("contour.png")
    """
    source = as_source(study, directions, "plot_contour")
    names = [a.name for a in param_axes(source.trials, params, "plot_contour")]
    if params is None:
        names = names[:3]
    elif len(names) > MAX_CONTOUR_PARAMS:
        raise ValueError(
            f"The 'params' parameter of plot_contour must name 2 to {MAX_CONTOUR_PARAMS} "
            f"parameters. Got {len(names)} instead."
        )
    pairs = list(itertools.combinations(names, 2))
    cols = min(max(len(pairs), 1), 3)
    rows = math.ceil(max(len(pairs), 1) / cols)
    figure = new_figure(4.4 * cols + 1, 3.6 * rows + 0.6, wspace=0.55, hspace=0.5)
    if not pairs:
        note(figure.add_subplot(), "Contours need two parameters of completed trials")
    for i, pair in enumerate(pairs):
        axes = figure.add_subplot(rows, cols, i + 1)
        data = contour_data(source, pair, target=target, max_points=max_points)
        if np.isfinite(data.grid_z).any():
            mesh = axes.pcolormesh(
                data.grid_x, data.grid_y, data.grid_z, cmap="viridis_r", shading="nearest"
            )
            figure.colorbar(mesh, ax=axes, label=f"objective ({data.direction})")
        axes.scatter(data.x, data.y, s=10, color="k", edgecolors="w", linewidths=0.4)
        set_param_axis(axes, data.x_axis, "x")
        set_param_axis(axes, data.y_axis, "y")
    figure.suptitle(f"Contours of {source.name!r}")
    return figure


def _away_from_ideal(directions: Sequence[str]) -> str:
    """The legend's corner away from the ideal point, where the front is not (x: trial number
    for one objective; a 3D plot: upper right)."""
    if len(directions) == 3:
        return "upper right"
    x, y = ("minimize", *directions) if len(directions) == 1 else directions
    return ("upper" if y == "minimize" else "lower") + (" right" if x == "minimize" else " left")


def plot_pareto_front(
    study: Any,
    objectives: Sequence[int] | None = None,
    directions: Sequence[str] | None = None,
    max_points: int = MAX_MARKERS,
) -> Any:
    """Completed trials on 2 or 3 objectives, the front (non-dominated trials) red and joined,
    the dominated grey; one objective: values by trial number, the best in red. Past
    ``max_points`` trials the dominated ones are thinned; the front is always drawn whole.

    Args:
        study: A Study, a StudySource, or a list of FrozenTrial.
        objectives: 1 to 3 objective indices (default: the first three).
        directions: The objectives' directions when ``study`` is a list of trials.
        max_points: Most trials drawn, the front aside (>= 2).

    Returns:
        A matplotlib Figure on an Agg canvas (a 3D Axes for three objectives).

    Raises:
        ValueError: ``objectives`` or ``max_points`` breaks its rule.

    Examples:
        >>> plot_pareto_front(study, objectives=[0, 1]).savefig("front.png")
    """
    data = pareto_data(study, objectives, directions, max_points)
    figure = new_figure(7.0, 6.0, left=1.0)
    dims = len(data.objectives)
    axes = figure.add_subplot(projection="3d" if dims == 3 else None)
    front, rest = data.values[data.on_front], data.values[~data.on_front]
    labels = [f"objective {k} ({d})" for k, d in zip(data.objectives, data.directions)]
    if dims == 1:
        front = np.column_stack([data.numbers[data.on_front], front])
        rest = np.column_stack([data.numbers[~data.on_front], rest])
        labels = ["trial number", labels[0]]
    cols = range(front.shape[1])
    axes.scatter(*(rest[:, c] for c in cols), s=12, color="0.6", label=f"dominated ({len(rest)})")
    axes.scatter(*(front[:, c] for c in cols), s=24, color="C3", label=f"front ({len(front)})")
    if dims == 2 and len(front) > 1:
        order = np.argsort(front[:, 0])
        axes.plot(front[order, 0], front[order, 1], color="C3", lw=1, alpha=0.7)
    if len(data.numbers):
        axes.legend(fontsize=8, loc=_away_from_ideal(data.directions))
    else:
        note(axes, "No completed trial yet")
    if dims == 3:
        axes.set(xlabel=labels[0], ylabel=labels[1], zlabel=labels[2])
    pin(axes, f"Pareto front of {data.name!r}", *labels[:2], ylabel_gap=0.72, flat=dims < 3)
    return figure
