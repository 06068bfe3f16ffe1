"""The comparison's figures (matplotlib, Agg): convergence, final values, evaluated points."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tunesmith.compare.model import ComparisonData, RunRecord
from tunesmith.compare.plot_layout import ValueFrame, line_styles, space_limits, value_frame
from tunesmith.compare.stats import NEAR, Reference, best_so_far
from tunesmith.execution.local import evaluate
from tunesmith.ranking import loss, sign
from tunesmith.space import Float, Int
from tunesmith.trial import Trial, TrialState

__all__ = [
    "convergence",
    "convergence_figure",
    "final_values",
    "points",
    "points_figure",
    "can_draw_points",
    "contour_cost",
]

CONTOUR_RESOLUTION = {1: 200, 2: 60}
CONTOUR_SECONDS = 2.0  # "cheap": the contour grid is drawn by default under this estimate
ALL_FAILED = "every evaluation failed"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise ImportError(
            'The comparison report draws with matplotlib: pip install "tunesmith[plot]"'
        ) from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def convergence(comparison: ComparisonData, ref: Reference | None, path: Path) -> Path:
    """Best so far against evaluations: the median over seeds, and the 25-75% band."""
    plt = _pyplot()
    return _save(plt, convergence_figure(comparison, ref, plt), path)


def convergence_figure(comparison: ComparisonData, ref: Reference | None, plt: Any) -> Any:
    """The convergence figure: one style per technique (equal curves stay visible), framed
    from where the searches settle (``plot_layout.value_frame``)."""
    flip, budget = sign(comparison.direction), comparison.budget
    fig, ax = plt.subplots(figsize=(8, 4.8))
    x = np.arange(1, budget + 1)
    styles = line_styles(len(comparison.techniques), budget)
    bands = []
    for technique, style in zip(comparison.techniques, styles):
        curves = [best_so_far(r, comparison.direction, budget) for r in comparison.runs(technique)]
        if not curves:
            continue
        losses = np.vstack(curves)
        with warnings.catch_warnings():  # runs with no success yet are all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mid = np.nanmedian(losses, axis=0)
            lo, hi = np.nanpercentile(losses, [25, 75], axis=0)
        label = f"median of {len(curves)}" if np.isfinite(losses).any() else ALL_FAILED
        ax.plot(
            x, flip * mid, color=style.color, ls=style.dash, marker=style.marker, ms=4,
            markevery=(style.start, style.every), label=f"{technique} ({label})",
        )  # fmt: skip
        ax.fill_between(x, flip * lo, flip * hi, color=style.color, alpha=0.12, linewidth=0)
        bands += [lo, mid, hi]
    if ref is not None:
        ax.axhline(flip * ref.target(NEAR), color="0.4", ls="--", lw=0.8, label="within 1%")
    _frame(ax, value_frame(bands, flip), flip, budget)
    ax.set_xlabel("evaluations")
    ax.set_ylabel(f"best value so far ({comparison.direction})")
    ax.set_title(f"{comparison.name}: best so far, median and 25-75% band over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _frame(ax: Any, frame: ValueFrame | None, flip: float, budget: int) -> None:
    """Apply the value frame (or say that nothing succeeded)."""
    if frame is None:
        ax.text(0.5, 0.5, "no evaluation succeeded", transform=ax.transAxes, ha="center")
        ax.set_xlim(1, max(budget, 2))
        return
    a, b = sorted((flip * frame.low, flip * frame.high))
    if frame.log:
        ax.set_yscale("log")
        pad = (b / a) ** 0.05
        a, b = a / pad, b * pad
    else:
        pad = 0.05 * ((b - a) or abs(b) or 1.0)
        a, b = a - pad, b + pad
    ax.set_ylim(a, b)
    if frame.clipped_from is not None:
        ax.text(
            0.99, 0.98, f"the frame shows every curve whole from evaluation "
            f"{frame.clipped_from}; earlier values are cut", transform=ax.transAxes,
            ha="right", va="top", fontsize=7, color="0.35",
        )  # fmt: skip


def final_values(comparison: ComparisonData, path: Path) -> Path:
    """The best value of every run, by technique: box plots with the runs as points."""
    plt = _pyplot()
    flip = sign(comparison.direction)
    groups, labels = [], []
    for technique in comparison.techniques:
        finals = [
            flip * float(c[-1])
            for c in (best_so_far(r, comparison.direction) for r in comparison.runs(technique))
            if c.size and np.isfinite(c[-1])
        ]
        groups.append(finals)
        labels.append(technique if finals else f"{technique}\n(all failed)")
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(labels) + 2), 4.5))
    ax.boxplot([g or [np.nan] for g in groups], showfliers=False)
    ax.set_xticks(range(1, len(labels) + 1), labels)
    rng = np.random.default_rng(0)
    for i, g in enumerate(groups, start=1):
        ax.scatter(
            i + rng.uniform(-0.12, 0.12, len(g)), g, s=14, color=f"C{(i - 1) % 10}", zorder=3
        )
    ax.set_ylabel(f"best value of the run ({comparison.direction})")
    ax.set_title(f"{comparison.name}: final best value per seed")
    ax.grid(alpha=0.3, axis="y")
    return _save(plt, fig, path)


def can_draw_points(comparison: ComparisonData) -> bool:
    """1-D and 2-D spaces of numbers (Float or Int) only."""
    space = comparison.space
    return 1 <= len(space) <= 2 and all(isinstance(d, (Float, Int)) for d in space.values())


def contour_cost(comparison: ComparisonData) -> float:
    """Estimated seconds to evaluate the objective on the contour grid."""
    seconds = [e.seconds for r in comparison.records for e in r.evaluations]
    per = float(np.median(seconds)) if seconds else math.inf
    return per * CONTOUR_RESOLUTION[len(comparison.space)] ** len(comparison.space)


def _axis(dist: Float | Int, n: int) -> np.ndarray:
    return np.array([dist.from_unit(u) for u in np.linspace(0.0, 1.0, n)], dtype=float)


def _evaluate(comparison: ComparisonData, params: dict[str, Any]) -> float:
    """The objective at ``params``; NaN (left blank) when the evaluation fails."""
    trial = Trial(0, params, dict(comparison.space), seed=0)
    outcome = evaluate(comparison.objective, trial, 1, (Exception,))  # type: ignore[arg-type]
    if outcome.reraise is not None:  # KeyboardInterrupt, SystemExit
        raise outcome.reraise
    if outcome.state is not TrialState.COMPLETE or outcome.values is None:
        return math.nan
    return outcome.values[0]


def _surface(comparison: ComparisonData) -> tuple[list[np.ndarray], np.ndarray]:
    names = list(comparison.space)
    n = CONTOUR_RESOLUTION[len(names)]
    axes = [_axis(comparison.space[k], n) for k in names]
    if len(names) == 1:
        z = np.array([_evaluate(comparison, {names[0]: _cast(comparison, 0, v)}) for v in axes[0]])
        return axes, z
    z = np.array(
        [
            [
                _evaluate(
                    comparison,
                    {names[0]: _cast(comparison, 0, a), names[1]: _cast(comparison, 1, b)},
                )
                for a in axes[0]
            ]
            for b in axes[1]
        ]
    )
    return axes, z


def _cast(comparison: ComparisonData, i: int, v: float) -> Any:
    dist = list(comparison.space.values())[i]
    return int(round(v)) if isinstance(dist, Int) else float(v)


def points(comparison: ComparisonData, path: Path, contours: bool) -> Path:
    """Where each technique evaluated (its first seed), over the objective when ``contours``."""
    plt = _pyplot()
    return _save(plt, points_figure(comparison, contours, plt), path, tight=False)


def points_figure(comparison: ComparisonData, contours: bool, plt: Any) -> Any:
    """One panel per technique, every panel over the whole declared space (and, in 1-D, one
    value axis for all), so where techniques looked can be compared at a glance."""
    names = list(comparison.space)
    surface = _surface(comparison) if contours and comparison.objective is not None else None
    k = len(comparison.techniques)
    cols = min(k, 3)
    rows = math.ceil(k / cols)
    fig, axs = plt.subplots(
        rows, cols, figsize=(4.2 * cols + 1, 3.8 * rows), squeeze=False, sharey=len(names) == 1
    )
    bottom = 0.1 if rows > 1 else 0.15  # room for the x label under a single row
    fig.subplots_adjust(left=0.07, right=0.86, bottom=bottom, top=0.9, wspace=0.3, hspace=0.4)
    for ax in axs.flat[k:]:
        ax.set_visible(False)
    sc = None
    overall = _best_point(comparison, names)
    for ax, technique in zip(axs.flat, comparison.techniques):
        runs = comparison.runs(technique)
        if runs:
            sc = _draw_run(ax, comparison, runs[0], surface, overall)
        ax.set_xlim(*space_limits(comparison.space[names[0]]))
        if len(names) == 2:
            ax.set_ylim(*space_limits(comparison.space[names[1]]))
    if sc is not None:
        label = "evaluation number"
        if len(names) == 2:
            label += " (red star: the run's best; black x: best of all runs)"
        fig.colorbar(sc, cax=fig.add_axes((0.89, 0.15, 0.015, 0.7)), label=label)
    return fig


def _draw_run(
    ax: Any, comparison: ComparisonData, run: RunRecord, surface: Any, overall: Any
) -> Any:
    """One technique's panel: its first run's points in order, over the surface if any."""
    names = list(comparison.space)
    done = [e for e in run.evaluations if all(n in e.params for n in names)]
    order = np.arange(len(done))
    xs = np.array([float(e.params[names[0]]) for e in done])
    if len(names) == 1:
        if surface is not None:
            ax.plot(surface[0][0], surface[1], color="0.5", lw=1)
        ys = np.array([np.nan if e.value is None else e.value for e in done])
        sc = ax.scatter(xs, ys, c=order, cmap="viridis", s=12, zorder=3)
        ax.set_ylabel("value")
    else:
        if surface is not None:
            (ax_x, ax_y), z = surface
            ax.contourf(ax_x, ax_y, z, levels=15, cmap="Greys", alpha=0.6)
        ys = np.array([float(e.params[names[1]]) for e in done])
        sc = ax.scatter(xs, ys, c=order, cmap="viridis", s=12, edgecolors="none")
        if any(not e.failed for e in done):  # a run with no success has no best to star
            best = _best_index(done, comparison.direction)
            ax.scatter(xs[best], ys[best], marker="*", s=140, color="red", zorder=4)
        if overall is not None:
            ax.scatter(*overall, marker="x", s=80, color="black", zorder=5)
        ax.set_ylabel(names[1])
        _scale(ax.set_yscale, comparison.space[names[1]])
    _scale(ax.set_xscale, comparison.space[names[0]])
    ax.set_xlabel(names[0])
    failed = "" if any(not e.failed for e in done) else f"; {ALL_FAILED}"
    ax.set_title(f"{run.technique} (seed {run.seed}, {len(done)} points{failed})", fontsize=9)
    return sc


def _best_point(comparison: ComparisonData, names: list[str]) -> tuple[float, float] | None:
    """The best point any run evaluated (2-D spaces)."""
    if len(names) != 2:
        return None
    found = [e for r in comparison.records for e in r.evaluations if e.value is not None]
    found = [e for e in found if all(n in e.params for n in names)]
    if not found:
        return None
    best = found[_best_index(found, comparison.direction)]
    return float(best.params[names[0]]), float(best.params[names[1]])


def _best_index(done: list[Any], direction: str) -> int:
    losses = [loss(e.value, direction) for e in done]
    return int(np.nanargmin(losses)) if np.isfinite(losses).any() else 0


def _scale(setter: Any, dist: Float | Int) -> None:
    if dist.log:
        setter("log")


def _save(plt: Any, fig: Any, path: Path, tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
