"""TPE's own view of a study: per parameter, the density of the good trials l(x) and of the rest
g(x) at the last split, recomputed from the stored trials with the strategy's own code.

The rule: the split (``n_good``, ``good_rows``), the weights (``forgetting_weights``) and the
kernels (the Parzen ``fit``) are the strategy's functions, never a copy. A product kernel's
marginal in one dimension is the same fit over that dimension alone, so each panel is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.strategies import parzen
from tunesmith.strategies import tpe as tpe_strategy
from tunesmith.trial import FrozenTrial
from tunesmith.viz.source import ParamAxis, param_axis

__all__ = ["DensityPanel", "TpeView", "tpe_view", "study_space"]

GRID = 160  # unit-cube points where a continuous density is evaluated
RUG = 400  # trials marked under a panel, at most (the good ones always)


@dataclass(frozen=True)
class DensityPanel:
    """One parameter: l(x) (``good``) and g(x) (``bad``) over ``x`` (plot coordinates).

    ``discrete``: ``good`` and ``bad`` are masses per value (Int, stepped Float, Choice: ``x`` is
    then the category index); otherwise densities per unit of the unit cube. ``separation`` is
    the total variation distance between the two, in [0, 1]; ``good_x``/``bad_x`` the trials
    (the bad ones thinned evenly to ``RUG``).
    """

    axis: ParamAxis
    discrete: bool
    x: np.ndarray
    good: np.ndarray
    bad: np.ndarray
    good_x: np.ndarray
    bad_x: np.ndarray
    separation: float
    n_good: int
    n_bad: int


@dataclass(frozen=True)
class TpeView:
    """The panels, most separated first; ``startup`` when TPE still draws uniformly.

    Attributes:
        name: The study's name.
        direction: The objective's direction.
        panels: One density panel per parameter, most separated first.
        n_good: Trials counted as good.
        n_bad: Trials counted as bad.
        gamma: The strategy's ``gamma``.
        startup: Whether TPE still draws uniformly.
    """

    name: str
    direction: str
    panels: list[DensityPanel]
    n_good: int
    n_bad: int
    gamma: float
    startup: bool


def study_space(trials: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Each parameter's latest distribution, by name (the space a reader can rebuild)."""
    space: dict[str, Distribution] = {}
    for t in trials:
        space.update(t.distributions)
    return dict(sorted(space.items()))


def _settings(strategy: Any) -> dict[str, Any]:
    """The TPE settings that shape the split and the kernels (the defaults when unknown)."""
    base = strategy if isinstance(strategy, tpe_strategy.TPE) else tpe_strategy.TPE()
    keys = ("gamma", "max_good", "prior_weight", "n_startup_trials", "constant_liar")
    return {k: getattr(base, k) for k in keys}


def _curve(dist: Distribution, fit: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """(unit points, density or mass there, discrete) of one fitted marginal."""
    axes = fit.axes
    if isinstance(dist, Choice):
        u = (np.arange(len(dist.options)) + 0.5) / len(dist.options)
        return u, np.exp(fit.log_pdf(u[:, None])), True
    u = np.linspace(0.0, 1.0, GRID)
    if isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None):
        u = np.unique(parzen.snap(u[:, None], axes)[:, 0])
        return u, np.exp(fit.log_pdf(u[:, None])), True
    return u, np.exp(fit.log_pdf(u[:, None])), False


def _panel(
    name: str,
    dist: Distribution,
    trials: Sequence[FrozenTrial],
    points: np.ndarray,
    good: np.ndarray,
    bad_weights: np.ndarray,
    bad_points: np.ndarray,
    prior_weight: float,
) -> DensityPanel:
    """l and g of one parameter: the strategy's fit over that dimension alone."""
    axes = parzen.Axes.of((dist,))
    l_fit = parzen.fit(points[good], np.ones(int(good.sum())), axes, prior_weight)
    g_fit = parzen.fit(bad_points, bad_weights, axes, prior_weight)
    u, l_val, discrete = _curve(dist, l_fit)
    _, g_val, _ = _curve(dist, g_fit)
    separation = 0.5 * float(
        np.abs(l_val - g_val).sum() if discrete else np.abs(l_val - g_val).mean()
    )
    axis = param_axis(trials, name)
    if isinstance(dist, Choice):
        x = axis.coords([dist.options[i] for i in range(len(dist.options))])
    else:
        x = np.array([float(dist.from_unit(float(v))) for v in u])
    bad_rows = np.flatnonzero(~good)
    bad_rows = bad_rows[np.unique(np.linspace(0, len(bad_rows) - 1, RUG).astype(int))]
    rug = [dist.from_unit(float(v)) for v in points[np.flatnonzero(good), 0]]
    rug += [dist.from_unit(float(v)) for v in points[bad_rows, 0]] if len(bad_rows) else []
    coords = axis.coords(rug)
    return DensityPanel(
        axis,
        discrete,
        x,
        l_val,
        g_val,
        coords[: int(good.sum())],
        coords[int(good.sum()) :],
        min(separation, 1.0),
        int(good.sum()),
        len(bad_points),
    )


def tpe_view(
    source: Any, strategy: Any = None, params: Sequence[str] | None = None, max_params: int = 4
) -> TpeView:
    """l(x) and g(x) per parameter as the next proposal would fit them (finished trials; running
    ones count as bad with ``constant_liar``): ``params`` in their order (an importance ranking,
    say), or the ``max_params`` where l and g differ most."""
    cfg = _settings(strategy)
    space = study_space(source.trials)
    if params is not None:
        space = {k: space[k] for k in params if k in space}
    table = tpe_strategy.Table()
    table.update(list(source.trials), space, source.directions)
    split = tpe_strategy.split
    n = len(source.trials)
    kind = table.kind[:n]
    finished = (kind == split.COMPLETE) | (kind == split.PRUNED)
    pending = kind == split.PENDING if cfg["constant_liar"] else np.zeros(n, bool)
    panels, n_good, n_bad, startup = [], 0, 0, False
    for j, (name, dist) in enumerate(space.items()):
        has = ~np.isnan(table.x[:n, j])
        rows = np.flatnonzero(finished & has)
        if not len(rows) or not (table.kind[rows] == split.COMPLETE).any():
            continue
        k = split.n_good(len(rows), cfg["gamma"], cfg["max_good"])
        good = table.good(rows, k)
        points = table.x[rows][:, [j]]
        liars = table.x[np.flatnonzero(pending & has)][:, [j]]
        weights = np.concatenate(
            [split.forgetting_weights(int((~good).sum())), np.ones(len(liars))]
        )
        bad_points = np.vstack([points[~good], liars])
        panels.append(
            _panel(
                name, dist, source.trials, points, good, weights, bad_points, cfg["prior_weight"]
            )
        )
        n_good, n_bad = max(n_good, int(good.sum())), max(n_bad, len(bad_points))
        startup = startup or len(rows) < max(cfg["n_startup_trials"], 1)
    if params is None:
        panels = sorted(panels, key=lambda p: -p.separation)[:max_params]
    return TpeView(source.name, source.directions[0], panels, n_good, n_bad, cfg["gamma"], startup)
