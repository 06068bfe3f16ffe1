"""Matplotlib figures of hyperparameter importance and of the timeline per worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.importance import importance_with_spread
from tunesmith.viz.lanes import lane_data
from tunesmith.viz.render import STATE_COLORS, new_figure, note
from tunesmith.viz.shares import importance_data
from tunesmith.viz.source import MAX_POINTS

__all__ = ["plot_importance", "plot_worker_timeline"]


def plot_importance(
    study: Any,
    title: str = "Hyperparameter importance",
    *,
    method: str = "fanova",
    params: Sequence[str] | None = None,
    target: int | None = None,
    n_repeats: int = 3,
) -> Any:
    """Horizontal bars of each parameter's share, largest on top, with error bars of one
    standard deviation over ``n_repeats`` fits (``tunesmith.importance.importance_with_spread``).

    Args:
        study: A Study, or ``importance_with_spread``'s result {name: (mean, std)} to draw
            shares already computed.
        title: The figure's title.
        method: "fanova" or "ped", as ``importance`` takes it.
        params: The parameters to share the variance among; None for the whole space.
        target: The objective's index, needed when the study has several.
        n_repeats: How many fits the mean and spread are taken over.

    Returns:
        A matplotlib Figure.

    Examples:
        >>> import tunesmith as ts
        >>> from tunesmith.viz import plot_importance
        >>> study = ts.create_study(space={"x": ts.Float(-1, 1), "y": ts.Float(-1, 1)}, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2 + 0.1 * t.params["y"], n_trials=30)
        >>> plot_importance(study).savefig("importance.png")
    """
    shares = study
    if not isinstance(study, Mapping):
        shares = importance_with_spread(
            study, method, params=params, target=target, n_repeats=n_repeats
        )
    data = importance_data(shares)
    count = len(data.names)
    left = 0.4 + 0.075 * max(len(n) for n in data.names)  # room for the names, in inches
    figure = new_figure(left + 6.5, 1.6 + 0.38 * count, left=left, top=0.5, bottom=0.65)
    axes = figure.add_subplot()
    rows = np.arange(count)
    axes.barh(rows, data.mean, xerr=data.std, color="C0", ecolor="0.25", capsize=3, height=0.6)
    axes.set_yticks(rows, labels=data.names)
    for row, mean, std in zip(rows, data.mean, data.std):
        axes.text(mean + std + 0.01, row, f"{mean:.2f}", va="center", fontsize=8, color="0.3")
    axes.set_xlim(0, min(1.05, max(float((data.mean + data.std).max()) * 1.2 + 0.05, 0.1)))
    axes.set_xlabel("share of the objective's variance (bars: ±1 std over repeated fits)")
    axes.set_title(title)
    return figure


def plot_worker_timeline(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> Any:
    """One row per worker lane, each trial a bar from its start to its finish, coloured by
    state (lanes packed: see ``viz.lanes``).

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2).

    Returns:
        A matplotlib Figure.
    """
    data = lane_data(study, directions, max_points)
    figure = new_figure(10.0, min(2.0 + 0.3 * max(data.lanes, 1), 9.0), right=1.6)
    axes = figure.add_subplot()
    states = np.array(data.states)
    for state, color in STATE_COLORS.items():
        has = states == state
        if has.any():
            _bars(axes, data.lane[has], data.start[has], data.finish[has], color)
            axes.plot([], [], "s", color=color, label=f"{state.lower()} ({int(has.sum())})")
    if not len(data.numbers):
        note(axes, "No trial has started yet")
    else:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axes.set_ylim(data.lanes - 0.5, -0.5)
        from matplotlib.ticker import MaxNLocator

        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, max(float(data.finish.max()), 1e-9) * 1.01)
    axes.set_xlabel("seconds since the first start")
    axes.set_ylabel("worker lane")
    shown = "" if len(data.numbers) == data.total else f", {len(data.numbers)} shown"
    axes.set_title(f"Workers of {data.name!r}: {data.lanes} lanes, {data.total} trials{shown}")
    return figure


def _bars(axes: Any, lane: np.ndarray, start: np.ndarray, finish: np.ndarray, color: str) -> None:
    """One rectangle per trial, edged in white so back-to-back trials stay apart (one
    collection: fast at any count)."""
    from matplotlib.collections import PolyCollection

    low, high = lane - 0.35, lane + 0.35
    boxes = np.stack(
        [
            np.column_stack([start, low]),
            np.column_stack([finish, low]),
            np.column_stack([finish, high]),
            np.column_stack([start, high]),
        ],
        axis=1,
    )
    edge = 0.6 if len(lane) < 2000 else 0.0
    axes.add_collection(
        PolyCollection(boxes, facecolors=color, edgecolors="white", linewidths=edge)
    )
