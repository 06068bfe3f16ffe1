"""Random search: uniform in the unit cube, so log-uniform over log parameters; on a small
finite space, without repeats."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Distribution, Space, grid_size
from tunesmith.strategies._holders import Holders
from tunesmith.strategies.base import Strategy, decode
from tunesmith.trial import FrozenTrial

__all__ = ["Random", "MAX_POINTS"]

MAX_POINTS = 100_000  # a finite space up to this many points is drawn without repeats
_REDRAWS = 8  # draws landing on held points before one of the free points is picked directly


class Random(Strategy):
    """Uniform draws (Bergstra & Bengio 2012, "Random Search for Hyper-Parameter
    Optimization"): each parameter from its own distribution, log-uniform when ``log=True``.

    On a space with a Float without step, or with more than ``MAX_POINTS`` grid points, the
    draws ignore the history: each trial's depends only on the study seed and its number, so the
    same seed gives the same trials however many run at once. On a smaller finite space (every
    parameter a Choice, an Int or a Float with a step) no point is evaluated twice while
    unused ones remain: a draw that lands on a point a trial holds (waiting, running or
    finished, except one whose machine failed) is drawn again, up to 8 times, then one of the
    free points is picked uniformly; when every point is held nothing is proposed and the study
    is exhausted. There the proposals depend on the history too: a seed gives the same trials
    in the same serial run, but parallel runs may differ from it once a draw has landed on a
    point another trial holds.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"lr": ts.Float(1e-4, 1e-1, log=True)}
        >>> study = ts.create_study(space=space, strategy=ts.strategies.Random(), seed=0)
        >>> study.optimize(lambda trial: abs(trial.params["lr"] - 0.01), n_trials=10)
        >>> len(study.trials)
        10
    """

    name = "random"
    learns_space = False
    _parameters = {}  # no settings

    def __init__(self) -> None:
        self._lattice: _Lattice | None = None
        self._holders: Holders | None = None

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        draws = rng.random((n, len(space)))  # the first draws are the same on any space
        lattice = self._lattice_of(space)
        if lattice is None:
            return [decode(row, space) for row in draws]
        assert self._holders is not None
        self._holders.update(history)
        held = self._holders.held(lattice.size).copy()
        free = lattice.size - int(held.sum())
        out: list[dict[str, Any]] = []
        for row in draws[:free]:
            i = _free_index(row, lattice, held, rng)
            held[i] = True
            out.append(lattice.point(i))
        return out

    def _lattice_of(self, space: Space) -> _Lattice | None:
        """The numbered points of a small finite ``space`` (cached); None for any other."""
        if not space or grid_size(space) > MAX_POINTS:
            return None
        if self._lattice is None or self._lattice.signature != tuple(space.items()):
            lattice = _Lattice(space)
            self._lattice = lattice
            self._holders = Holders(lattice.index)
        return self._lattice


def _free_index(
    row: np.ndarray, lattice: _Lattice, held: np.ndarray, rng: np.random.Generator
) -> int:
    """The point ``row`` decodes to, drawn again while a trial holds it, then a uniform pick
    among the free points (``held`` has at least one)."""
    for _ in range(1 + _REDRAWS):
        i = lattice.index(decode(row, lattice.space))
        if i is not None and not held[i]:
            return i
        row = rng.random(len(row))
    free = np.flatnonzero(~held)
    return int(free[rng.integers(len(free))])


class _Lattice:
    """The grid points of a finite space, numbered in grid order (last name varies fastest)."""

    def __init__(self, space: Space) -> None:
        self.space: dict[str, Distribution] = dict(space)
        self.signature = tuple(space.items())
        self.names = list(space)
        self.axes = [dist.grid() for dist in space.values()]
        self.lookups = [{_value_key(v): j for j, v in enumerate(axis)} for axis in self.axes]
        self.size = math.prod(len(axis) for axis in self.axes)

    def index(self, params: dict[str, Any]) -> int | None:
        """The number of the point ``params`` names; None when it is not a grid point."""
        i = 0
        for name, axis, lookup in zip(self.names, self.axes, self.lookups):
            j = lookup.get(_value_key(params.get(name, _MISSING)))
            if j is None:
                return None
            i = i * len(axis) + j
        return i

    def point(self, i: int) -> dict[str, Any]:
        """The parameters of point number ``i``."""
        values = []
        for axis in reversed(self.axes):
            i, j = divmod(i, len(axis))
            values.append(axis[j])
        return dict(zip(self.names, reversed(values)))


_MISSING = object()


def _value_key(value: Any) -> str | None:
    """A value's JSON text (``1`` and ``True`` differ), None when it has none."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None
