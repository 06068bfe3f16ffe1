"""What every figure reads from a study: its trials, directions and parameter axes; downsampling.

No matplotlib here: figure data is plain numbers, drawn by ``viz.render`` (or any other renderer).
"""

from __future__ import annotations

import itertools
import json
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import completed, first_front, loss, signs
from tunesmith.space import Choice, Float, Int
from tunesmith.trial import FrozenTrial, TrialState

__all__ = [
    "MAX_POINTS",
    "ParamAxis",
    "StudySource",
    "as_source",
    "check_max_points",
    "downsample",
    "param_axes",
    "param_axis",
    "values_matrix",
    "best_indices",
    "first_front",
    "check_target",
    "param_values",
    "target_losses",
]

MAX_POINTS = 5000  # figures thin their points beyond this, the best trials always kept


@dataclass(frozen=True)
class StudySource:
    """A study as figures read it: its name, directions and trials by number.

    ``strategy``: the study's strategy (a Strategy, or its stored ``{"name", "config"}``), for
    the figures that show a strategy's own view; None where unknown.

    Attributes:
        name: The study's name.
        directions: One direction per objective.
        trials: The trials, by number.
        strategy: The study's strategy, or its stored form; None where unknown.
    """

    name: str
    directions: tuple[str, ...]
    trials: tuple[FrozenTrial, ...]
    strategy: Any = None


def as_source(
    study: Any, directions: Sequence[str] | None = None, owner: str = "figure"
) -> StudySource:
    """A Study, a StudySource, or a list of FrozenTrial with ``directions`` (default minimize)."""
    if isinstance(study, StudySource):
        return study
    if hasattr(study, "trials") and hasattr(study, "directions"):
        name = str(getattr(study, "study_name", "study"))
        strategy = getattr(study, "strategy", None)
        return StudySource(name, tuple(study.directions), tuple(study.trials), strategy)
    if isinstance(study, Sequence) and all(isinstance(t, FrozenTrial) for t in study):
        dirs = tuple(directions) if directions is not None else ("minimize",)
        trials = tuple(sorted(study, key=lambda t: t.number))
        return StudySource("study", dirs, trials)
    raise ValueError(
        f"The 'study' parameter of {owner} must be a Study, a StudySource or a list of "
        f"FrozenTrial. Got {type(study).__name__} instead."
    )


def check_max_points(max_points: Any, owner: str) -> int:
    """The rule of ``max_points`` everywhere: an int >= 2."""
    if (
        isinstance(max_points, bool)
        or not isinstance(max_points, (int, np.integer))
        or max_points < 2
    ):
        raise ValueError(
            f"The 'max_points' parameter of {owner} must be an int >= 2. Got {max_points!r} "
            "instead."
        )
    return int(max_points)


def downsample(n: int, max_points: int, keep: Sequence[int] | np.ndarray = ()) -> np.ndarray:
    """Sorted indices of at most ``max_points`` of ``n`` points, evenly spread, ``keep`` always in.

    When ``keep`` alone holds more than ``max_points`` indices, all of them are returned.

    Args:
        n: How many points there are.
        max_points: The most indices returned (unless ``keep`` holds more).
        keep: Indices always returned (duplicates allowed).

    Returns:
        A sorted int64 array of indices in [0, ``n``): every index when ``n`` <= ``max_points``.
    """
    if n <= max_points:
        return np.arange(n)
    kept = np.unique(np.asarray(keep, dtype=np.int64))
    room = max_points - kept.size
    if room <= 0:
        return kept
    rest = np.setdiff1d(np.arange(n), kept)
    picks = rest[np.linspace(0, rest.size - 1, room).round().astype(np.int64)]
    return np.union1d(kept, picks)


def best_indices(
    trials: Sequence[FrozenTrial], directions: Sequence[str], k: int = 10
) -> list[int]:
    """Indices of the best completed trials: the ``k`` lowest losses, or the Pareto front."""
    done = [i for i, t in enumerate(trials) if t.state is TrialState.COMPLETE and t.values]
    if not done:
        return []
    rows = values_matrix([trials[i] for i in done], len(directions)) * signs(directions)
    rows = np.where(np.isnan(rows), np.inf, rows)
    if len(directions) > 1:
        return [done[i] for i in np.flatnonzero(first_front(rows))]
    order = np.argsort(rows[:, 0], kind="stable")[:k]
    return [done[i] for i in order]


def values_matrix(trials: Sequence[FrozenTrial], n_objectives: int) -> np.ndarray:
    """The (trials, objectives) float array of the trials' values, built in one conversion.

    Args:
        trials: The trials.
        n_objectives: The study's number of objectives.

    Returns:
        The values; a row of NaN where a trial has none or not ``n_objectives`` of them, and
        NaN for a missing (None) value.
    """
    blank = (math.nan,) * n_objectives
    rows = [
        blank if t.values is None or len(t.values) != n_objectives else t.values for t in trials
    ]
    try:
        flat = np.fromiter(itertools.chain.from_iterable(rows), float, len(rows) * n_objectives)
    except TypeError:  # a None (missing value) among them, read as NaN
        return np.array(rows, dtype=float)
    return flat.reshape(len(rows), n_objectives)


@dataclass(frozen=True)
class ParamAxis:
    """One parameter as an axis: ``scale`` is "linear", "log" or "categorical".

    ``coords`` turns values into plot coordinates: the value itself on numeric axes, the
    category's index on categorical ones, NaN where a trial lacks the parameter.

    Attributes:
        name: The parameter's name.
        scale: "linear", "log" or "categorical".
        low: The axis's low end (0 on a categorical axis).
        high: The axis's high end (the last category's index on a categorical axis).
        categories: The categories' labels on a categorical axis; empty otherwise.
    """

    name: str
    scale: str
    low: float
    high: float
    categories: tuple[str, ...] = ()

    def coords(self, values: Sequence[Any]) -> np.ndarray:
        """Plot coordinates of parameter values: the value itself, or the category's index.

        Args:
            values: The trials' values of the parameter (``param_values``), its missing marker
                where a trial lacks it.

        Returns:
            A float array, one coordinate per value; NaN where the value is missing (or, on a
            categorical axis, not one of ``categories``).
        """
        if self.scale == "categorical":
            index = {c: i for i, c in enumerate(self.categories)}
            return np.array(
                [index.get(_label(v), math.nan) if v is not _MISSING else math.nan for v in values],
                dtype=float,
            )
        return np.array([math.nan if v is _MISSING else float(v) for v in values], dtype=float)

    def unit(self, coords: np.ndarray) -> np.ndarray:
        """Coordinates scaled to [0, 1] along the axis (log-spaced on log axes).

        On a categorical axis category i lands at the middle of its band, (i + 0.5) / count;
        an axis whose ends coincide puts every coordinate at 0.5.

        Args:
            coords: Coordinates on the axis (``coords``).

        Returns:
            A float array of the same shape; NaN stays NaN.
        """
        coords = np.asarray(coords, dtype=float)
        if self.scale == "categorical":
            return (coords + 0.5) / max(len(self.categories), 1)
        low, high = self.low, self.high
        if self.scale == "log":
            coords, low, high = np.log(coords), math.log(low), math.log(high)
        return (coords - low) / (high - low) if high > low else np.full_like(coords, 0.5)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def param_values(trials: Sequence[FrozenTrial], name: str) -> list[Any]:
    """Each trial's value of ``name``; a marker that ``ParamAxis.coords`` reads as missing."""
    return [t.params.get(name, _MISSING) for t in trials]


def param_axis(
    trials: Sequence[FrozenTrial], name: str, seen: Sequence[Any] | None = None
) -> ParamAxis:
    """The axis of parameter ``name`` from its latest distribution (or its values if none),
    spanning the distribution and every value seen.

    Args:
        trials: The trials, oldest first.
        name: The parameter.
        seen: The trials' values of ``name`` when already gathered (``param_columns``).

    Returns:
        A ParamAxis: categorical for a Choice or non-numeric values, log or linear otherwise.
    """
    dist = next((t.distributions[name] for t in reversed(trials) if name in t.distributions), None)
    if seen is None:
        seen = [t.params[name] for t in trials if name in t.params]
    numeric = dist is not None or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen
    )
    if isinstance(dist, Choice) or (dist is None and not numeric):
        labels = [_label(o) for o in (dist.options if isinstance(dist, Choice) else [])]
        labels += [lab for lab in dict.fromkeys(map(_label, _distinct(seen))) if lab not in labels]
        return ParamAxis(name, "categorical", 0.0, max(len(labels) - 1, 0), tuple(labels))
    if isinstance(dist, (Float, Int)):
        low = min(dist.low, float(min(seen))) if seen else dist.low
        high = max(dist.high, float(max(seen))) if seen else dist.high
        return ParamAxis(name, "log" if dist.log else "linear", float(low), float(high))
    low, high = (float(min(seen)), float(max(seen))) if seen else (0.0, 1.0)
    log = low > 0 and high / low >= 100
    return ParamAxis(name, "log" if log else "linear", low, high)


def _distinct(values: Sequence[Any]) -> list[Any]:
    """``values`` without repeats, in first-seen order (all of them if some are unhashable)."""
    try:
        return list(dict.fromkeys(values))
    except TypeError:
        return list(values)


def param_columns(trials: Sequence[FrozenTrial], names: Sequence[str]) -> dict[str, list[Any]]:
    """Each of ``names``' values over the ``trials`` that have it, in one C-level pass per name
    when every trial has it (the common case).

    Args:
        trials: The trials.
        names: Parameter names.

    Returns:
        name -> the values of the trials that have it, in trial order.
    """
    dicts = [t.params for t in trials]
    columns = {}
    for name in names:
        try:
            columns[name] = list(map(operator.itemgetter(name), dicts))
        except KeyError:
            columns[name] = [d[name] for d in dicts if name in d]
    return columns


def param_axes(
    trials: Sequence[FrozenTrial], params: Sequence[str] | None, owner: str
) -> list[ParamAxis]:
    """Axes of ``params`` (default: every parameter of a completed trial, by name)."""
    done = completed(trials)
    names = sorted({n for t in done for n in t.params})
    if params is None:
        columns = param_columns(trials, names)
        return [param_axis(trials, n, columns[n]) for n in names]
    params = [params] if isinstance(params, str) else list(params)
    unknown = [p for p in params if p not in names]
    if unknown:
        raise ValueError(
            f"The 'params' parameter of {owner} must name parameters of completed trials "
            f"({', '.join(names) or 'none yet'}). Got {unknown!r} instead."
        )
    columns = param_columns(trials, params)
    return [param_axis(trials, n, columns[n]) for n in params]


def target_losses(
    trials: Sequence[FrozenTrial], directions: Sequence[str], target: int
) -> np.ndarray:
    """Each trial's loss on objective ``target`` (+inf where it has none)."""
    return np.array(
        [loss(t.values[target] if t.values else None, directions[target]) for t in trials]
    )


def check_target(target: Any, directions: Sequence[str], owner: str) -> int:
    """The rule of ``target``: the index of one of the study's objectives."""
    n = len(directions)
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < n:
        raise ValueError(
            f"The 'target' parameter of {owner} must be an objective index in [0, {n - 1}]. "
            f"Got {target!r} instead."
        )
    return int(target)
