"""TPE's view of the history: one row of arrays per trial, re-encoded only when it changes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.ranking import signs as direction_signs
from tunesmith.ranking import violation_of
from tunesmith.space import Distribution, Space
from tunesmith.strategies import _tpe_split as split
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["Table", "row_values"]


class Table:
    """The history as arrays, one row per trial number, re-encoding only trials that changed.

    A row is recomputed whenever the history holds a different trial object at its number, so
    the arrays are always a function of the history passed in, never of when calls were made.
    """

    def __init__(self) -> None:
        self._reset(None, (), 1)

    def _reset(self, signature: Any, dists: tuple[Distribution, ...], n_obj: int) -> None:
        self.signature = signature
        self.dists = dists
        self.names: tuple[str, ...] = ()
        self.refs: list[FrozenTrial | None] = []
        self.x = np.empty((0, len(dists)))
        self.kind = np.empty(0, dtype=np.int8)
        self.loss = np.empty((0, n_obj))
        self.step = np.empty(0)
        self.last = np.empty(0)
        self.violation = np.empty(0)

    def update(
        self, history: Sequence[FrozenTrial], space: Space, directions: Sequence[str]
    ) -> None:
        signature = (tuple(space.items()), tuple(directions))
        if signature != self.signature:
            self._reset(signature, tuple(space.values()), len(directions))
            self.names = tuple(space)
        n = len(history)
        self._resize(n)
        refs = self.refs
        for i in range(n):
            t = history[i]
            if t is not refs[i]:
                self._encode(i, t, directions)
                refs[i] = t

    def good(self, rows: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best of ``rows`` by TPE's ranking (``_tpe_split.good_rows``), as a mask."""
        return split.good_rows(
            rows,
            self.kind[rows],
            self.loss[rows],
            self.step[rows],
            self.last[rows],
            k,
            self.violation[rows],
        )

    def _resize(self, n: int) -> None:
        old = len(self.refs)
        if n < old:
            del self.refs[n:]
        else:
            self.refs.extend([None] * (n - old))
        if n > len(self.kind):
            grow = max(n, 2 * len(self.kind), 64) - len(self.kind)
            self.x = np.vstack([self.x, np.full((grow, self.x.shape[1]), np.nan)])
            self.kind = np.append(self.kind, np.full(grow, split.IGNORED, dtype=np.int8))
            self.loss = np.vstack([self.loss, np.full((grow, self.loss.shape[1]), np.inf)])
            self.step = np.append(self.step, np.full(grow, -1.0))
            self.last = np.append(self.last, np.full(grow, np.inf))
            self.violation = np.append(self.violation, np.full(grow, np.nan))
        self.kind[n:] = split.IGNORED  # rows past the history are never read

    def _encode(self, i: int, t: FrozenTrial, directions: Sequence[str]) -> None:
        for j, (name, dist) in enumerate(zip(self.names, self.dists)):
            value = t.params.get(name, _MISSING)
            ok = value is not _MISSING and dist.contains(value)
            self.x[i, j] = dist.to_unit(value) if ok else np.nan
        self.kind[i], self.loss[i], self.step[i], self.last[i] = row_values(t, directions)
        self.violation[i] = violation_of(t)


_MISSING = object()


def row_values(t: FrozenTrial, directions: Sequence[str]) -> tuple[int, np.ndarray, float, float]:
    """(kind, signed losses, last step, signed last intermediate value) of one trial."""
    signs = direction_signs(directions)
    inf = np.full(len(directions), np.inf)
    if t.state is TrialState.COMPLETE:
        if t.values is None or len(t.values) != len(directions):
            return split.IGNORED, inf, -1.0, np.inf
        return split.COMPLETE, signs * np.asarray(t.values, dtype=float), -1.0, np.inf
    if t.state is TrialState.PRUNED:
        step = t.last_step
        if step is None:
            return split.PRUNED, inf, -1.0, np.inf
        last = signs[0] * float(t.intermediate[step]) if len(directions) == 1 else 0.0
        return split.PRUNED, inf, float(step), last if math.isfinite(last) else np.inf
    if t.state in (TrialState.RUNNING, TrialState.WAITING):
        return split.PENDING, inf, -1.0, np.inf
    return split.IGNORED, inf, -1.0, np.inf
