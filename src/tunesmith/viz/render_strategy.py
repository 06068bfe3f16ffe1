"""Matplotlib figure of a strategy's own view (``viz.strategy``): TPE's densities, the
generations of Genetic and NSGA-II, CMA-ES's mean and spread, gradient descent's path; the
history with a note for strategies that keep no model."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.viz.render import new_figure, note, plot_history, set_param_axis
from tunesmith.viz.strategy import (
    CmaesView,
    GenerationsView,
    GradientView,
    HistoryNote,
    strategy_view,
)
from tunesmith.viz.tpe_view import TpeView

__all__ = ["plot_strategy"]

MAX_LINES = 8  # CMA-ES: parameters drawn as mean lines


def plot_strategy(
    study: Any,
    strategy: Any = None,
    directions: Sequence[str] | None = None,
    params: Sequence[str] | None = None,
) -> Any:
    """The study's strategy as it sees the trials (see ``viz.strategy``); a strategy with no
    model of its own (grid, random) gets the history figure with a note saying so.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        strategy: The strategy to show; None for the study's own.
        directions: The directions of a list of trials (default minimize).
        params: TPE's panels, in order; None for every parameter.

    Returns:
        A matplotlib Figure.
    """
    view = strategy_view(study, strategy, directions, params)
    if isinstance(view, TpeView):
        return _tpe(view)
    if isinstance(view, GenerationsView):
        return _generations(view)
    if isinstance(view, CmaesView):
        return _cmaes(view)
    if isinstance(view, GradientView):
        return _gradient(view)
    return _fallback(study, directions, view)


def _fallback(study: Any, directions: Sequence[str] | None, view: HistoryNote) -> Any:
    """The history figure, with the reason there is no other view written under its title."""
    figure = plot_history(study, directions)
    height = figure.get_figheight()
    figure.subplots_adjust(top=1 - 0.9 / height)  # room for the note under the title
    figure.text(
        0.5,
        1 - 0.5 / height,
        f"strategy {view.strategy}: {view.reason}; showing the history",
        ha="center",
        va="top",
        fontsize=9,
        color="0.3",
    )
    return figure


def _tpe(view: TpeView) -> Any:
    """One panel per parameter: l(x) of the good trials against g(x) of the rest."""
    count = max(len(view.panels), 1)
    cols = min(count, 2)
    rows = math.ceil(count / cols)
    figure = new_figure(5.0 * cols + 0.6, 3.2 * rows + 0.9, wspace=0.3, hspace=0.6, top=0.9)
    if not view.panels:
        note(figure.add_subplot(), "No complete trial to split yet")
    for i, panel in enumerate(view.panels):
        axes = figure.add_subplot(rows, cols, i + 1)
        if panel.discrete:
            width = 0.4 if panel.axis.scale == "categorical" else None
            _bars(axes, panel, width)
        else:
            axes.plot(panel.x, panel.good, color="C2", lw=2, label="l(x): good")
            axes.plot(panel.x, panel.bad, color="C3", lw=2, label="g(x): the rest")
        axes.plot(
            panel.bad_x,
            np.full(len(panel.bad_x), 0.02),
            "|",
            color="C3",
            ms=8,
            transform=axes.get_xaxis_transform(),
            alpha=0.5,
        )
        axes.plot(
            panel.good_x,
            np.full(len(panel.good_x), 0.06),
            "|",
            color="C2",
            ms=8,
            transform=axes.get_xaxis_transform(),
        )
        set_param_axis(axes, panel.axis, "x")
        axes.set_ylabel("mass per value" if panel.discrete else "density (unit cube)")
        axes.set_title(
            f"{panel.axis.name}: {panel.n_good} good, {panel.n_bad} rest; "
            f"separation {panel.separation:.2f}",
            fontsize=10,
        )
        top = float(max(panel.good.max(), panel.bad.max()))
        axes.set_ylim(0, top * 1.3 if top > 0 else 1.0)  # room for the legend above
        axes.legend(fontsize=8, loc="upper right")
    phase = " (start-up: proposals are still uniform)" if view.startup else ""
    figure.suptitle(f"TPE's split of {view.name!r}, gamma {view.gamma:g}{phase}")
    return figure


def _bars(axes: Any, panel: Any, width: float | None) -> None:
    """Side-by-side bars of l and g at each value (categories) or steps (many values)."""
    if width is None and len(panel.x) > 30:
        axes.step(panel.x, panel.good, where="mid", color="C2", lw=2, label="l(x): good")
        axes.step(panel.x, panel.bad, where="mid", color="C3", lw=2, label="g(x): the rest")
        return
    if width is None:  # numeric values: a bar is a fraction of the gap between values
        gaps = np.diff(panel.x) if len(panel.x) > 1 else np.array([1.0])
        width = 0.4 * float(gaps.min())
        if panel.axis.scale == "log":
            axes.plot(panel.x, panel.good, "o-", color="C2", label="l(x): good")
            axes.plot(panel.x, panel.bad, "s--", color="C3", label="g(x): the rest")
            return
    axes.bar(panel.x - width / 2, panel.good, width, color="C2", label="l(x): good")
    axes.bar(panel.x + width / 2, panel.bad, width, color="C3", label="g(x): the rest")


def _generations(view: GenerationsView) -> Any:
    """Values by generation with the best and the elites; two objectives: the front too."""
    several = len(view.directions) > 1
    figure = new_figure(13.0 if several else 8.0, 5.0, wspace=0.3)
    axes = figure.add_subplot(1, 2 if several else 1, 1)
    if not len(view.gen):
        note(axes, "No generation yet (no trial came from a proposal batch)")
    else:
        axes.scatter(view.gen, view.values[:, 0], s=8, color="0.6", label="population")
        finite = np.isfinite(view.best)
        axes.plot(
            np.flatnonzero(finite),
            view.best[finite],
            color="C2",
            lw=1.5,
            label="best of the generation",
        )
        kept = "survivors" if view.strategy == "nsga2" else "elites"
        axes.scatter(
            view.elite_gen,
            view.elite_values[:, 0],
            s=22,
            marker="D",
            facecolors="none",
            edgecolors="C3",
            lw=0.8,
            label=f"{kept} after it",
        )
        axes.legend(fontsize=8, loc="upper right")
    axes.set_xlabel("generation")
    axes.set_ylabel(f"objective 0 ({view.directions[0]})")
    _integer_ticks(axes)
    if several:
        _front(figure.add_subplot(1, 2, 2), view)
    figure.suptitle(
        f"{view.strategy} on {view.name!r}: {len(view.first)} generations, {len(view.gen)} trials"
    )
    return figure


def _front(axes: Any, view: GenerationsView) -> None:
    """Objectives 0 and 1 coloured by generation; the last survivors ringed."""
    if len(view.gen):
        dots = axes.scatter(view.values[:, 0], view.values[:, 1], c=view.gen, s=10, cmap="viridis")
        axes.figure.colorbar(dots, ax=axes, label="generation")
        last = view.elite_gen == view.elite_gen.max() if len(view.elite_gen) else []
        axes.scatter(
            view.elite_values[last, 0],
            view.elite_values[last, 1],
            s=40,
            facecolors="none",
            edgecolors="C3",
            label="last survivors",
        )
        axes.legend(fontsize=8, loc="upper right")
    axes.set_xlabel(f"objective 0 ({view.directions[0]})")
    axes.set_ylabel(f"objective 1 ({view.directions[1]})")


def _cmaes(view: CmaesView) -> Any:
    """Mean per parameter (band: one standard deviation), the spread, the best by generation."""
    figure = new_figure(9.0, 8.0, hspace=0.45, right=1.6)
    top, middle, bottom = (figure.add_subplot(3, 1, k) for k in (1, 2, 3))
    gens = np.arange(len(view.first))
    if not len(gens):
        note(top, "No generation yet")
    for j, name in enumerate(view.names[:MAX_LINES]):
        color = f"C{j % 10}"
        top.plot(gens, view.mean[:, j], color=color, lw=1.5, label=name)
        top.fill_between(
            gens,
            view.mean[:, j] - view.std[:, j],
            view.mean[:, j] + view.std[:, j],
            color=color,
            alpha=0.15,
            lw=0,
        )
    top.set_ylim(0, 1)
    top.set_ylabel("mean (unit cube)")
    if view.names:
        top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if len(gens):
        middle.semilogy(gens, np.maximum(view.spread, 1e-12), color="C4")
        finite = np.isfinite(view.best)
        bottom.plot(gens[finite], view.best[finite], ".-", color="C2")
    middle.set_ylabel("spread (std, unit)")
    bottom.set_ylabel(f"best ({view.direction})")
    bottom.set_xlabel("generation")
    for panel in (top, middle, bottom):
        _integer_ticks(panel)
    shown = "" if len(view.names) <= MAX_LINES else f" (first {MAX_LINES} parameters)"
    figure.suptitle(f"CMA-ES on {view.name!r}: {len(gens)} generations{shown}")
    return figure


def _gradient(view: GradientView) -> Any:
    """The iterates' path over two parameters (one colour per run) and the step sizes."""
    figure = new_figure(12.0, 5.0, wspace=0.35)
    path, steps = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    if not len(view.numbers):
        note(path, "No iterate yet")
    for r in np.unique(view.run):
        mine = view.run == r
        color = f"C{int(r) % 10}"
        path.plot(view.x[mine], view.y[mine], "-", color=color, lw=1, alpha=0.7)
        path.plot(
            view.x[mine][:1],
            view.y[mine][:1],
            "o",
            color=color,
            ms=7,
            label=f"run {int(r)} start" if r < 6 else None,
        )
        path.plot(view.x[mine][-1:], view.y[mine][-1:], "*", color=color, ms=10)
    if len(view.numbers):
        dots = path.scatter(view.x, view.y, c=view.values, s=14, cmap="viridis_r", zorder=3)
        figure.colorbar(dots, ax=path, label=f"value ({view.direction})")
        path.legend(fontsize=8, loc="best", title="*: last iterate", title_fontsize=8)
    if view.axes:
        set_param_axis(path, view.axes[0], "x")
    if len(view.axes) > 1:
        set_param_axis(path, view.axes[1], "y")
    has = np.isfinite(view.step) & (view.step > 0)
    if has.any():
        steps.semilogy(view.numbers[has], view.step[has], ".-", color="C0")
    else:
        note(steps, "No step taken yet")
    steps.set_xlabel("trial number of the iterate")
    steps.set_ylabel("step length (unit cube)")
    figure.suptitle(f"Gradient descent on {view.name!r}: {len(view.numbers)} iterates")
    return figure


def _integer_ticks(axes: Any) -> None:
    """Whole generations on the x axis."""
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
