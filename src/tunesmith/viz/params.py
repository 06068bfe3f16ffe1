"""Figure data over parameters: parallel coordinates, slices, contours, and the Pareto front."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import signs
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz.source import (
    MAX_POINTS,
    ParamAxis,
    as_source,
    check_max_points,
    check_target,
    downsample,
    first_front,
    param_axes,
    param_values,
    target_losses,
    values_matrix,
)

__all__ = [
    "ContourData",
    "ParallelData",
    "ParetoData",
    "SliceData",
    "SlicePanel",
    "contour_data",
    "parallel_data",
    "pareto_data",
    "slice_data",
]

CONTOUR_RESOLUTION = 40


def _completed(
    study: Any, directions: Sequence[str] | None, target: int, max_points: int, owner: str
) -> tuple[Any, list[FrozenTrial], np.ndarray, int, int]:
    """The source, its COMPLETE trials with a value of ``target`` (thinned, the best kept),
    their values, the checked target, and how many there were before thinning."""
    source = as_source(study, directions, owner)
    max_points = check_max_points(max_points, owner)
    target = check_target(target, source.directions, owner)
    done = [t for t in source.trials if t.state is TrialState.COMPLETE]
    losses = target_losses(done, source.directions, target)
    finite = np.isfinite(losses)
    done, losses = [t for t, ok in zip(done, finite) if ok], losses[finite]
    best = np.argsort(losses, kind="stable")[:10]
    done = [done[i] for i in downsample(len(done), max_points, best)]
    values = values_matrix(done, len(source.directions))[:, target]
    return source, done, values, target, len(losses)


@dataclass(frozen=True)
class ParallelData:
    """One line per completed trial across the parameter axes, coloured by objective ``target``.

    ``coords[i, j]`` is trial i's coordinate on axis j (NaN: the trial lacks that parameter);
    ``unit`` the same scaled to [0, 1] along each axis (log-spaced on log axes).

    Attributes:
        name: The study's name.
        direction: The direction of objective ``target``.
        axes: One axis per parameter drawn.
        numbers: The trials' numbers, one per line.
        values: The trials' values of objective ``target``, one per line.
        coords: ``coords[i, j]``, trial i's coordinate on axis j (NaN: it lacks the parameter).
        unit: ``coords`` scaled to [0, 1] along each axis.
        total: How many completed trials there were before thinning.
    """

    name: str
    direction: str
    axes: list[ParamAxis]
    numbers: np.ndarray
    values: np.ndarray
    coords: np.ndarray
    unit: np.ndarray
    total: int = 0  # completed trials before thinning


def parallel_data(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_POINTS,
) -> ParallelData:
    """Parallel coordinates of the completed trials (default: every parameter).

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        params: The parameters drawn; None for every one.
        directions: The directions of a list of trials (default minimize).
        target: The index of the objective.
        max_points: The most trials drawn (an int >= 2); the best are kept.

    Returns:
        The figure's data.
    """
    source, done, values, target, total = _completed(
        study, directions, target, max_points, "parallel_data"
    )
    axes = param_axes(source.trials, params, "parallel_data")
    coords = (
        np.column_stack([a.coords(param_values(done, a.name)) for a in axes])
        if axes
        else (np.empty((len(done), 0)))
    )
    unit = np.column_stack([a.unit(coords[:, j]) for j, a in enumerate(axes)]) if axes else coords
    numbers = np.array([t.number for t in done], dtype=np.int64)
    return ParallelData(
        source.name, source.directions[target], axes, numbers, values, coords, unit, total
    )


@dataclass(frozen=True)
class SlicePanel:
    """Objective against one parameter, over the completed trials that have it."""

    axis: ParamAxis
    numbers: np.ndarray
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class SliceData:
    """One panel per parameter.

    Attributes:
        name: The study's name.
        direction: The direction of objective ``target``.
        panels: One panel per parameter drawn.
        total: How many completed trials there were before thinning.
    """

    name: str
    direction: str
    panels: list[SlicePanel]
    total: int = 0  # completed trials before thinning


def slice_data(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_POINTS,
) -> SliceData:
    """Objective ``target`` against each parameter (default: every one).

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        params: The parameters drawn (a name or a list of names); None for every parameter of
            a completed trial.
        directions: The directions of a list of trials (default minimize).
        target: The index of the objective.
        max_points: The most trials drawn (an int >= 2); the best are kept.

    Returns:
        The figure's data: one panel per parameter, over the completed trials that have it.

    Raises:
        ValueError: When ``study``, ``params``, ``target`` or ``max_points`` breaks its rule.
    """
    source, done, values, target, total = _completed(
        study, directions, target, max_points, "slice_data"
    )
    numbers = np.array([t.number for t in done], dtype=np.int64)
    panels = []
    for axis in param_axes(source.trials, params, "slice_data"):
        x = axis.coords(param_values(done, axis.name))
        has = ~np.isnan(x)
        panels.append(SlicePanel(axis, numbers[has], x[has], values[has]))
    return SliceData(source.name, source.directions[target], panels, total)


@dataclass(frozen=True)
class ContourData:
    """Objective over a pair of parameters: the trials' points and an interpolated grid.

    ``grid_z[i, j]`` is the estimate at (``grid_x[j]``, ``grid_y[i]``): an inverse-distance
    mean of the trials, distances measured along each axis's scale (log on log axes), only
    trials of the same category on a categorical axis; NaN where no trial informs it.

    Attributes:
        name: The study's name.
        direction: The direction of objective ``target``.
        x_axis: The first parameter's axis.
        y_axis: The second parameter's axis.
        x: The trials' coordinates on ``x_axis``.
        y: The trials' coordinates on ``y_axis``.
        z: The trials' values of objective ``target``.
        grid_x: The grid's coordinates along ``x_axis``.
        grid_y: The grid's coordinates along ``y_axis``.
        grid_z: The interpolated objective, ``grid_z[i, j]`` at (``grid_x[j]``, ``grid_y[i]``).
    """

    name: str
    direction: str
    x_axis: ParamAxis
    y_axis: ParamAxis
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    grid_z: np.ndarray


def _grid(axis: ParamAxis, resolution: int) -> np.ndarray:
    """Grid coordinates along ``axis``: each category, or ``resolution`` points (log-spaced)."""
    if axis.scale == "categorical":
        return np.arange(len(axis.categories), dtype=float)
    if axis.scale == "log":
        return np.geomspace(axis.low, axis.high, resolution)
    return np.linspace(axis.low, axis.high, resolution)


def _interpolate(
    points: np.ndarray, z: np.ndarray, grid: np.ndarray, categorical: Sequence[bool]
) -> np.ndarray:
    """Inverse-squared-distance mean of ``z`` at each grid row (exact at a data point); on a
    categorical axis only the points of the same category count (none: NaN)."""
    out = np.full(len(grid), np.nan)
    if not len(points):
        return out
    apart = np.array(categorical, dtype=bool)
    near = points[:, ~apart]
    near_sq = (near**2).sum(axis=1)
    for start in range(0, len(grid), 256):
        block = grid[start : start + 256]
        cells = block[:, ~apart]
        # squared distances as matrix products: |a|^2 + |b|^2 - 2 a.b (cancellation is far
        # below the 1e-12 floor that makes a data point's own cell exact)
        d2 = (cells**2).sum(axis=1)[:, None] + near_sq[None, :] - 2.0 * cells @ near.T
        d2 = np.maximum(d2, 1e-12)
        for j in np.flatnonzero(apart):
            d2[np.abs(block[:, j][:, None] - points[:, j][None, :]) > 1e-9] = np.inf
        weights = 1.0 / d2
        with np.errstate(invalid="ignore"):
            out[start : start + 256] = (weights @ z) / weights.sum(axis=1)
    return out


def contour_data(
    study: Any,
    params: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    target: int = 0,
    max_points: int = MAX_POINTS,
    resolution: int = CONTOUR_RESOLUTION,
) -> ContourData:
    """The pair ``params`` (default: the first two parameters by name) as a contour.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        params: The two parameters drawn; None for the first two by name.
        directions: The directions of a list of trials (default minimize).
        target: The index of the objective.
        max_points: The most trials drawn (an int >= 2); the best are kept.
        resolution: The grid's points along a numeric axis (a categorical axis has one per
            category).

    Returns:
        The figure's data: the trials that have both parameters and the interpolated grid.

    Raises:
        ValueError: When ``params`` does not name two parameters of completed trials, or
            ``study``, ``target`` or ``max_points`` breaks its rule.
    """
    source, done, values, target, _ = _completed(
        study, directions, target, max_points, "contour_data"
    )
    axes = param_axes(source.trials, params, "contour_data")
    if len(axes) != 2:
        raise ValueError(
            "The 'params' parameter of contour_data must name two parameters of completed "
            f"trials. Got {[a.name for a in axes]!r} instead."
        )
    x_axis, y_axis = axes
    x, y = (
        x_axis.coords(param_values(done, x_axis.name)),
        y_axis.coords(param_values(done, y_axis.name)),
    )
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y, z = x[both], y[both], values[both]
    grid_x, grid_y = _grid(x_axis, resolution), _grid(y_axis, resolution)
    gx, gy = np.meshgrid(grid_x, grid_y)
    cells = np.column_stack([x_axis.unit(gx.ravel()), y_axis.unit(gy.ravel())])
    points = np.column_stack([x_axis.unit(x), y_axis.unit(y)])
    categorical = [x_axis.scale == "categorical", y_axis.scale == "categorical"]
    grid_z = _interpolate(points, z, cells, categorical).reshape(gx.shape)
    return ContourData(
        source.name, source.directions[target], x_axis, y_axis, x, y, z, grid_x, grid_y, grid_z
    )


@dataclass(frozen=True)
class ParetoData:
    """The completed trials' values on ``objectives``; ``on_front`` marks the non-dominated.

    Attributes:
        name: The study's name.
        directions: The directions of the objectives drawn.
        objectives: The indices of the objectives drawn.
        numbers: The trials' numbers.
        values: The trials' values, one column per objective drawn.
        on_front: Whether each trial is on the Pareto front of the objectives drawn.
    """

    name: str
    directions: tuple[str, ...]
    objectives: tuple[int, ...]
    numbers: np.ndarray
    values: np.ndarray
    on_front: np.ndarray


def pareto_data(
    study: Any,
    objectives: Sequence[int] | None = None,
    directions: Sequence[str] | None = None,
    max_points: int = MAX_POINTS,
) -> ParetoData:
    """Values on 1-3 ``objectives`` (default: the first three) and the front among them;
    thinned, the front always kept.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        objectives: The indices of 1 to 3 objectives; None for the first three.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2); the front is always kept.

    Returns:
        The figure's data, over the completed trials with finite values on ``objectives``.

    Raises:
        ValueError: When ``objectives`` does not list 1 to 3 objective indices, or ``study``
            or ``max_points`` breaks its rule.
    """
    source = as_source(study, directions, "pareto_data")
    max_points = check_max_points(max_points, "pareto_data")
    count = len(source.directions)
    chosen = tuple(range(min(count, 3))) if objectives is None else tuple(objectives)
    if not 1 <= len(chosen) <= 3 or any(
        isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < count for k in chosen
    ):
        raise ValueError(
            f"The 'objectives' parameter of pareto_data must list 1 to 3 objective indices in "
            f"[0, {count - 1}]. Got {objectives!r} instead."
        )
    done = [t for t in source.trials if t.state is TrialState.COMPLETE]
    values = values_matrix(done, count)[:, list(chosen)]
    finite = np.all(np.isfinite(values), axis=1)
    numbers = np.fromiter((t.number for t in done), np.int64, len(done))[finite]
    values = values[finite]
    dirs = tuple(source.directions[k] for k in chosen)
    losses = values * signs(dirs)
    on_front = first_front(losses)
    rows = downsample(len(values), max_points, np.flatnonzero(on_front))
    return ParetoData(source.name, dirs, chosen, numbers[rows], values[rows], on_front[rows])
