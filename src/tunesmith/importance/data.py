"""What importance reads of a study: the COMPLETE trials of one objective, each parameter
encoded in the unit cube by its distribution's ``to_unit`` (one home for the encoding rules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.ranking import loss
from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["MIN_TRIALS", "StudyData", "Encoded", "encode", "cells_of"]

MIN_TRIALS = 5  # fewer COMPLETE trials than this say nothing about importance
MAX_POINTS = 256  # a discrete parameter with more values is measured as continuous


@dataclass(frozen=True)
class StudyData:
    """A study's trials, directions and space without a storage: what ``importance`` reads.

    A ``Study`` has the same three attributes; this adapter serves readers that hold only the
    stored records (the CLI). ``space`` None: inferred from the COMPLETE trials, first seen wins.

    Args:
        trials: The study's trials.
        directions: The study's directions.
        space: The declared space, or None to infer it.
    """

    trials: Sequence[FrozenTrial]
    directions: Sequence[str]
    space: Mapping[str, Distribution] | None = field(default=None)

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The declared space, or the one inferred from COMPLETE trials."""
        if self.space:
            return dict(self.space)
        inferred: dict[str, Distribution] = {}
        for t in self.trials:
            if t.state is TrialState.COMPLETE:
                for name, dist in t.distributions.items():
                    inferred.setdefault(name, dist)
        return inferred


@dataclass(frozen=True)
class Encoded:
    """Trials as numbers: ``x`` (n, d) in the unit cube, target ``values`` and ``losses``."""

    names: list[str]
    dists: list[Distribution]
    x: np.ndarray
    values: np.ndarray
    losses: np.ndarray


def _check_target(directions: Sequence[str], target: int | None) -> int:
    """The objective index to explain; several objectives need an explicit ``target``."""
    n = len(directions)
    if target is None:
        if n != 1:
            raise ValueError(
                f"The 'target' parameter of importance must be given for a study with {n} "
                f"objectives (an int in [0, {n - 1}]). Got None instead."
            )
        return 0
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < n:
        raise ValueError(
            f"The 'target' parameter of importance must be an int in [0, {n - 1}]. "
            f"Got {target!r} instead."
        )
    return int(target)


def _check_names(space: Mapping[str, Distribution], params: Sequence[str] | None) -> list[str]:
    """The parameters to explain: ``params`` (each in the space), or the whole space."""
    if params is None:
        return list(space)
    if isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise ValueError(
            f"The 'params' parameter of importance must be a non-empty list of parameter "
            f"names. Got {params!r} instead."
        )
    unknown = [p for p in params if p not in space]
    if unknown:
        raise ValueError(
            f"The 'params' parameter of importance must name parameters of the study "
            f"{sorted(space)}. Got {unknown!r} instead."
        )
    return list(dict.fromkeys(params))


def encode(study: Any, target: int | None, params: Sequence[str] | None) -> Encoded:
    """The COMPLETE trials that set every chosen parameter, encoded (see ``Encoded``)."""
    directions = list(study.directions)
    index = _check_target(directions, target)
    space = study.search_space
    names = _check_names(space, params)
    if not names:
        raise ValueError("importance needs a study with at least one parameter; it has none.")
    rows = [
        t
        for t in study.trials
        if t.state is TrialState.COMPLETE and t.values and all(n in t.params for n in names)
    ]
    if len(rows) < MIN_TRIALS:
        raise ValueError(
            f"importance needs at least {MIN_TRIALS} COMPLETE trials that set {names}; the "
            f"study has {len(rows)}."
        )
    dists = [space[n] for n in names]
    x = np.array([[d.to_unit(t.params[n]) for n, d in zip(names, dists)] for t in rows])
    values = np.array([t.values[index] for t in rows], dtype=float)
    losses = np.array([loss(v, directions[index]) for v in values])
    return Encoded(names, dists, np.clip(x, 0.0, 1.0), values, losses)


def cells_of(dist: Distribution) -> np.ndarray | None:
    """The unit-cube points of a discrete parameter's values (each weighs the same), or None
    for a continuous one (measured by length); the rule of uniform weight over the values."""
    if isinstance(dist, Choice) or (isinstance(dist, Int) and not dist.log):
        grid = dist.grid()
    elif isinstance(dist, Float) and dist.step is not None:
        grid = dist.grid()
    else:
        return None
    if len(grid) > MAX_POINTS:
        return None
    return np.array(sorted({min(max(dist.to_unit(v), 0.0), 1.0) for v in grid}))
