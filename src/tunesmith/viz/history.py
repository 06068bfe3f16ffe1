"""Figure data over time: history with best so far, intermediate values, timeline, and EDF."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import violations
from tunesmith.trial import TrialState
from tunesmith.viz.source import (
    MAX_POINTS,
    as_source,
    best_indices,
    check_max_points,
    check_target,
    downsample,
    values_matrix,
)

__all__ = [
    "EdfCurve",
    "EdfData",
    "HistoryData",
    "IntermediateCurve",
    "IntermediateData",
    "TimelineData",
    "edf_data",
    "history_data",
    "intermediate_data",
    "timeline_data",
]


@dataclass(frozen=True)
class HistoryData:
    """Every trial's values by number, and each objective's best so far (NaN before any).

    ``states`` tells COMPLETE, PRUNED, FAIL, RUNNING and WAITING apart; ``values`` is NaN where a
    trial has none. ``total`` is the number of trials before downsampling.

    Attributes:
        name: The study's name.
        directions: One direction per objective.
        numbers: The trial numbers drawn.
        states: Each drawn trial's state.
        values: (trials, objectives) values, NaN where a trial has none.
        best: (trials, objectives) best so far, NaN before any.
        total: The number of trials before downsampling.
    """

    name: str
    directions: tuple[str, ...]
    numbers: np.ndarray
    states: list[str]
    values: np.ndarray
    best: np.ndarray
    total: int


def best_so_far(
    values: np.ndarray,
    states: Sequence[str],
    direction: str,
    feasible: np.ndarray | None = None,
) -> np.ndarray:
    """Running best of the COMPLETE values (min or max by ``direction``) of the ``feasible``
    trials (default all), NaN before the first."""
    flip = -1.0 if direction == "maximize" else 1.0
    usable = np.array([s == TrialState.COMPLETE.value for s in states], dtype=bool)
    if feasible is not None:
        usable &= feasible
    losses = np.where(usable & ~np.isnan(values), flip * values, np.inf)
    running = np.minimum.accumulate(losses) if losses.size else losses
    return np.where(np.isinf(running), np.nan, flip * running)


def history_data(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> HistoryData:
    """Values and best so far of every trial (of the feasible ones, where trials set
    constraints); thinned to ``max_points``, keeping each
    objective's improvements, the best trials and the last one.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2).

    Returns:
        The figure's data.
    """
    source = as_source(study, directions, "history_data")
    max_points = check_max_points(max_points, "history_data")
    trials, dirs = source.trials, source.directions
    states = [t.state.value for t in trials]
    values = values_matrix(trials, len(dirs))
    feasible = violations(trials) == 0  # all, unless trials set constraints
    best = (
        np.column_stack(
            [best_so_far(values[:, k], states, d, feasible) for k, d in enumerate(dirs)]
        )
        if trials
        else np.empty((0, len(dirs)))
    )
    keep = set(best_indices(trials, dirs)) | ({len(trials) - 1} if trials else set())
    for k in range(len(dirs)):
        before = np.concatenate([[np.nan], best[:-1, k]])
        same = (best[:, k] == before) | (np.isnan(best[:, k]) & np.isnan(before))
        keep.update(np.flatnonzero(~same).tolist())
    rows = downsample(len(trials), max_points, sorted(keep))
    numbers = np.array([trials[i].number for i in rows], dtype=np.int64)
    return HistoryData(
        source.name,
        dirs,
        numbers,
        [states[i] for i in rows],
        values[rows],
        best[rows],
        len(trials),
    )


@dataclass(frozen=True)
class IntermediateCurve:
    """One trial's reported values by step, and its state (PRUNED curves are marked so)."""

    number: int
    state: str
    steps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class IntermediateData:
    """The learning curves of the trials that reported intermediate values.

    Attributes:
        name: The study's name.
        direction: The first objective's direction.
        curves: One curve per drawn trial.
    """

    name: str
    direction: str
    curves: list[IntermediateCurve]


def intermediate_data(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> IntermediateData:
    """Each reporting trial's curve; past ``max_points`` fewer curves (the best kept), each
    thinned evenly (its last step kept).

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most points drawn (an int >= 2).

    Returns:
        The figure's data.
    """
    source = as_source(study, directions, "intermediate_data")
    max_points = check_max_points(max_points, "intermediate_data")
    trials = [t for t in source.trials if t.intermediate]
    rows = downsample(
        len(trials), max(max_points // 10, 2), best_indices(trials, source.directions)
    )
    per_curve = max(max_points // max(len(rows), 1), 2)
    curves = []
    for i in rows:
        trial = trials[i]
        steps = np.array(sorted(trial.intermediate), dtype=np.int64)
        keep = downsample(steps.size, per_curve, [steps.size - 1])
        values = np.array([trial.intermediate[s] for s in steps[keep]], dtype=float)
        curves.append(IntermediateCurve(trial.number, trial.state.value, steps[keep], values))
    return IntermediateData(source.name, source.directions[0], curves)


@dataclass(frozen=True)
class TimelineData:
    """Each trial's start and finish (seconds since the first start) and state.

    A trial still running finishes at ``now`` (the latest time seen); one never started has
    NaN for both.

    Attributes:
        name: The study's name.
        numbers: The trial numbers drawn.
        states: Each drawn trial's state.
        start: Each start, seconds after ``origin``.
        finish: Each finish, seconds after ``origin``.
        origin: The first start (a timestamp).
    """

    name: str
    numbers: np.ndarray
    states: list[str]
    start: np.ndarray
    finish: np.ndarray
    origin: float


def timeline_data(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> TimelineData:
    """Start and finish of every trial, relative to the first start; thinned evenly.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2); the best are kept.

    Returns:
        The figure's data.
    """
    source = as_source(study, directions, "timeline_data")
    max_points = check_max_points(max_points, "timeline_data")
    trials = source.trials
    starts = np.array([math.nan if t.started is None else t.started for t in trials], dtype=float)
    ends = np.array([math.nan if t.finished is None else t.finished for t in trials], dtype=float)
    known = np.concatenate([starts[~np.isnan(starts)], ends[~np.isnan(ends)]])
    origin = float(known.min()) if known.size else 0.0
    now = float(known.max()) if known.size else 0.0
    ends = np.where(np.isnan(ends) & ~np.isnan(starts), now, ends)
    rows = downsample(len(trials), max_points, best_indices(trials, source.directions))
    numbers = np.array([trials[i].number for i in rows], dtype=np.int64)
    return TimelineData(
        source.name,
        numbers,
        [trials[i].state.value for i in rows],
        starts[rows] - origin,
        ends[rows] - origin,
        origin,
    )


@dataclass(frozen=True)
class EdfCurve:
    """One study's empirical distribution: sorted ``values`` and the share ``fraction`` <= each
    (``total``: how many values there were before thinning)."""

    name: str
    values: np.ndarray
    fraction: np.ndarray
    total: int = 0


@dataclass(frozen=True)
class EdfData:
    """The EDF of objective ``target`` of several studies sharing its direction.

    Attributes:
        direction: The direction of objective ``target``.
        curves: One curve per study.
    """

    direction: str
    curves: list[EdfCurve]


def edf_data(studies: Sequence[Any], target: int = 0, max_points: int = MAX_POINTS) -> EdfData:
    """Per study, the fraction of completed trials with a value <= x; the smallest and largest
    values always kept when thinned.

    Args:
        studies: Studies (or ``StudySource``s, or lists of FrozenTrial), one curve each.
        target: The index of the objective drawn.
        max_points: The most points per curve (an int >= 2).

    Returns:
        The figure's data.

    Raises:
        ValueError: ``studies`` is empty, or their objectives ``target`` differ in direction.
    """
    if not isinstance(studies, Sequence) or isinstance(studies, str) or not studies:
        raise ValueError(
            "The 'studies' parameter of edf_data must be a non-empty list of studies. "
            f"Got {studies!r} instead."
        )
    max_points = check_max_points(max_points, "edf_data")
    sources = [as_source(s, owner="edf_data") for s in studies]
    directions = {s.directions[check_target(target, s.directions, "edf_data")] for s in sources}
    if len(directions) > 1:
        raise ValueError(
            "The 'studies' parameter of edf_data must share the direction of objective "
            f"{target}. Got {sorted(directions)} instead."
        )
    curves = []
    for source in sources:
        done = [t for t in source.trials if t.state is TrialState.COMPLETE]
        values = values_matrix(done, len(source.directions))[:, target]
        values = np.sort(values[~np.isnan(values)])
        fraction = np.arange(1, values.size + 1) / max(values.size, 1)
        rows = downsample(values.size, max_points, [0, values.size - 1] if values.size else [])
        curves.append(EdfCurve(source.name, values[rows], fraction[rows], values.size))
    return EdfData(directions.pop(), curves)
