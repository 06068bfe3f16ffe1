"""Matplotlib figures of a study over time: history, intermediate values, timeline, EDF.

Each ``plot_*`` builds its figure data (``viz.history``) and draws it on a new ``Figure`` with an
Agg canvas: no pyplot state, safe in threads and without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.viz.frame import attach_canvas, pin
from tunesmith.viz.history import edf_data, history_data, intermediate_data, timeline_data
from tunesmith.viz.source import MAX_POINTS, ParamAxis

__all__ = [
    "MARGINS",
    "STATE_COLORS",
    "new_figure",
    "note",
    "plot_edf",
    "plot_history",
    "plot_intermediate",
    "plot_timeline",
    "set_param_axis",
]

STATE_COLORS = {
    "COMPLETE": "C0",
    "PRUNED": "C1",
    "FAIL": "C3",
    "RUNNING": "0.45",
    "WAITING": "0.75",
}
_NO_VALUE_MARKERS = {"FAIL": "x", "RUNNING": "|", "WAITING": ".", "PRUNED": "v", "COMPLETE": "o"}


EDF_POINTS = 400  # steps per study in plot_edf: finer than the pixels of the figure's height

# the space around the axes, in inches, so a taller figure keeps room for its title
MARGINS = {"left": 0.85, "right": 0.3, "bottom": 0.6, "top": 0.55}


def new_figure(
    width: float = 8.0,
    height: float = 5.0,
    hspace: float = 0.45,
    wspace: float = 0.3,
    **inches: float,
) -> Any:
    """A matplotlib Figure on an Agg canvas with fixed margins (``MARGINS``, in inches; no layout
    engine, which would draw each figure once more); a missing matplotlib names the extra."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            'tunesmith.viz needs matplotlib; install it with pip install "tunesmith[plot]".'
        ) from error
    figure = Figure(figsize=(width, height), dpi=100)
    attach_canvas(figure)
    room = {**MARGINS, **inches}
    figure.subplots_adjust(
        left=room["left"] / width,
        right=1 - room["right"] / width,
        bottom=room["bottom"] / height,
        top=1 - room["top"] / height,
        hspace=hspace,
        wspace=wspace,
    )
    return figure


def note(axes: Any, text: str) -> None:
    """Write ``text`` in the middle of empty ``axes`` (no trials, none completed)."""
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="0.3")


def set_param_axis(axes: Any, axis: ParamAxis, which: str = "x") -> None:
    """Label ``axes``'s x or y after a parameter: log scale, or the categories as ticks."""
    getattr(axes, f"set_{which}label")(axis.name)
    if axis.scale == "log":
        from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

        getattr(axes, f"set_{which}scale")("log")
        target = getattr(axes, f"{which}axis")
        # plain text labels (1e-5, 0.01) and no minor ticks: each tick is an object to build
        # and lay out, and typeset powers of ten cost more than the figure's points
        target.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
        target.set_minor_locator(NullLocator())
        target.set_major_locator(LogLocator(numticks=5))
        if axis.high / axis.low < 100:  # under two decades: a few plain numbers
            ticks = np.geomspace(axis.low, axis.high, 4)
            whole = float(axis.low).is_integer() and float(axis.high).is_integer()
            ticks = np.unique(ticks.round()) if whole else ticks.round(3)  # ints: whole ticks
            getattr(axes, f"set_{which}ticks")(ticks)
    elif axis.scale == "categorical":
        ticks = np.arange(len(axis.categories))
        getattr(axes, f"set_{which}ticks")(ticks, labels=[c[:16] for c in axis.categories])
        getattr(axes, f"set_{which}lim")(-0.5, len(axis.categories) - 0.5)


def _short(value: float) -> str:
    """A log-axis label that fits a narrow panel: 0.01, 100, 1e-5, 2e+06."""
    if value <= 0:
        return f"{value:g}"
    exponent = int(np.floor(np.log10(value) + 1e-9))
    if -2 <= exponent <= 3:
        return f"{value:.3g}"
    mantissa = value / 10.0**exponent
    return f"1e{exponent}" if abs(mantissa - 1) < 1e-6 else f"{value:.2g}"


def _state_counts(states: Sequence[str]) -> str:
    found = {s: list(states).count(s) for s in STATE_COLORS if s in states}
    return ", ".join(f"{n} {s.lower()}" for s, n in found.items())


def plot_history(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> Any:
    """Each objective against trial number with its best so far; trials with no value
    (failed, running, pruned early) as marks along the bottom, coloured by state.

    Past ``max_points`` trials the points are thinned, keeping each objective's improvements,
    the best trials and the last one; the title gives the count before thinning.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2).

    Returns:
        A matplotlib Figure on an Agg canvas, one panel per objective.

    Raises:
        ValueError: When ``study`` or ``max_points`` breaks its rule.
        ImportError: When matplotlib is missing (the ``plot`` extra).

    Examples:
        >>> import tunesmith as ts
        >>> from tunesmith.viz import plot_history
        >>> study = ts.create_study(space={"x": ts.Float(-1, 1)}, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2, n_trials=20)
        >>> plot_history(study).savefig("history.png")
    """
    data = history_data(study, directions, max_points)
    count = len(data.directions)
    figure = new_figure(8.0, 3.2 + 2.2 * count)
    for k, direction in enumerate(data.directions):
        axes = figure.add_subplot(count, 1, k + 1)
        _draw_history(axes, data, k)
        label = "value" if count == 1 else f"objective {k}"
        axes.set_ylabel(f"{label} ({direction})")
    figure.axes[-1].set_xlabel("trial number")
    shown = "" if len(data.numbers) == data.total else f", {len(data.numbers)} shown"
    figure.suptitle(f"History of {data.name!r}: {data.total} trials{shown}")
    return figure


def _draw_history(axes: Any, data: Any, k: int) -> None:
    """One objective's panel of ``plot_history``."""
    if not data.total:
        note(axes, "No trials yet")
        return
    values = data.values[:, k]
    states = np.array(data.states)
    for state, color in STATE_COLORS.items():
        has = (states == state) & ~np.isnan(values)
        if has.any():
            marker = "o" if state == "COMPLETE" else "^"
            axes.scatter(
                data.numbers[has],
                values[has],
                s=14,
                color=color,
                marker=marker,
                alpha=0.8,
                label=f"{state.lower()} ({has.sum()})",
                zorder=3,
            )
        bare = (states == state) & np.isnan(values)
        if bare.any():
            axes.scatter(
                data.numbers[bare],
                np.full(bare.sum(), 0.03),
                s=30,
                color=color,
                marker=_NO_VALUE_MARKERS[state],
                transform=axes.get_xaxis_transform(),
                label=f"{state.lower()}, no value ({bare.sum()})",
                zorder=4,
            )
    span = max(1.0, 0.03 * float(np.ptp(data.numbers)))  # marks on the bottom do not autoscale
    axes.set_xlim(data.numbers.min() - span, data.numbers.max() + span)
    best = data.best[:, k]
    if np.isfinite(best).any():
        axes.step(data.numbers, best, where="post", color="C2", lw=2, label="best so far")
    else:
        note(axes, "No completed trial yet: " + _state_counts(data.states))
        axes.set_yticks([])
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 1e3:
        axes.set_yscale("log")
    axes.legend(fontsize=8, loc="upper right")


def plot_intermediate(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> Any:
    """Each trial's reported values by step, coloured by state; pruned trials' curves end in
    an x where they were stopped.

    Past ``max_points`` points fewer curves are drawn (the best trials kept), each thinned
    evenly with its last step kept.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most points drawn (an int >= 2).

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: When ``study`` or ``max_points`` breaks its rule.
        ImportError: When matplotlib is missing (the ``plot`` extra).
    """
    data = intermediate_data(study, directions, max_points)
    figure = new_figure()
    axes = figure.add_subplot()
    for curve in data.curves:
        color = STATE_COLORS.get(curve.state, "0.5")
        pruned = curve.state == "PRUNED"
        axes.plot(curve.steps, curve.values, color=color, lw=1, alpha=0.9 if pruned else 0.6)
        if pruned:
            axes.plot(curve.steps[-1:], curve.values[-1:], "x", color=color, ms=7)
    if not data.curves:
        note(axes, "No trial reported intermediate values")
    else:
        states = [c.state for c in data.curves]
        for state in dict.fromkeys(states):
            style = "x-" if state == "PRUNED" else "-"
            where = " (x: where)" if state == "PRUNED" else ""
            axes.plot([], [], style, color=STATE_COLORS[state], label=state.lower() + where)
        axes.legend(fontsize=8, title=_state_counts(states), title_fontsize=8)
    axes.set_xlabel("step")
    axes.set_ylabel(f"intermediate value ({data.direction})")
    axes.set_title(f"Intermediate values of {data.name!r}: {len(data.curves)} trials")
    return figure


def plot_timeline(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> Any:
    """One bar per trial from its start to its finish (running: to now), coloured by state.

    Times are seconds since the first start; a running trial's bar ends at the latest start
    or finish known. Past ``max_points`` trials the bars are thinned evenly, the best kept.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2).

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: When ``study`` or ``max_points`` breaks its rule.
        ImportError: When matplotlib is missing (the ``plot`` extra).
    """
    data = timeline_data(study, directions, max_points)
    figure = new_figure()
    axes = figure.add_subplot()
    states = np.array(data.states)
    for state, color in STATE_COLORS.items():
        has = (states == state) & ~np.isnan(data.start)
        if has.any():
            axes.hlines(
                data.numbers[has],
                data.start[has],
                data.finish[has],
                colors=color,
                lw=4 if len(data.numbers) < 200 else 1.5,
                label=f"{state.lower()} ({has.sum()})",
            )
            axes.plot(data.start[has], data.numbers[has], "|", color=color, ms=4)
    if not np.isfinite(data.start).any():
        note(axes, "No trial has started yet")
    else:
        axes.legend(fontsize=8, loc="upper left")
    axes.set_xlabel("seconds since the first start")
    axes.set_ylabel("trial number")
    axes.set_title(f"Timeline of {data.name!r}: {len(data.numbers)} trials")
    return figure


def plot_edf(studies: Sequence[Any], target: int = 0, max_points: int = EDF_POINTS) -> Any:
    """Per study, the share of completed trials whose value is at most x: the empirical
    distribution function, drawn as steps.

    Past ``max_points`` values a study's steps are thinned evenly in rank (its smallest and
    largest value kept), so the curve is off by at most 1 / ``max_points`` of its height; the
    legend gives each study's count of values before thinning.

    Args:
        studies: Studies (Study, StudySource, or trials) sharing the direction of ``target``.
        target: Index of the objective drawn.
        max_points: Most steps drawn per study (>= 2).

    Returns:
        A matplotlib Figure on an Agg canvas.

    Raises:
        ValueError: ``studies`` is empty or mixes directions, or ``target``/``max_points``
            break their rules.

    Examples:
        >>> plot_edf([study_a, study_b]).savefig("edf.png")
    """
    data = edf_data(studies, target, max_points)
    figure = new_figure()
    axes = figure.add_subplot()
    drawn = 0
    for i, curve in enumerate(data.curves):
        if curve.values.size:
            axes.step(
                curve.values,
                curve.fraction,
                where="post",
                color=f"C{i % 10}",
                label=f"{curve.name} ({curve.total} values)",
            )
            drawn += 1
    if drawn:
        axes.legend(fontsize=8, loc="upper left")
    else:
        note(axes, "No completed trial in any study")
    axes.set_ylim(0, 1.05)
    axes.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    pin(
        axes,
        "Empirical distribution of the values",
        f"objective {target} ({data.direction})",
        "fraction of completed trials <= x",
    )
    return figure
