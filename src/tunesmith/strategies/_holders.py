"""Which points of a finite space the trials hold, read incrementally: grid and random search.

A trial holds its point while it waits or runs and once it has finished, with one exception
always and one on request: a FAIL whose machine failed (``SystemKey.LOST``: its process was
killed or its host vanished, so the objective never answered) holds nothing, and with
``retry_failed`` no FAIL holds anything. A trial failed by the objective's own error keeps its
point otherwise: a deterministic objective would fail there again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from tunesmith.records import SystemKey
from tunesmith.strategies.base import params_key
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["holds", "Holders", "point_key"]

KeyFn = Callable[[dict[str, Any]], Hashable | None]  # picklable: no lambdas (studies pickle)


def holds(trial: FrozenTrial, retry_failed: bool = False) -> bool:
    """Whether ``trial`` holds its point (the module's rule)."""
    if trial.state is not TrialState.FAIL:
        return True
    return not retry_failed and not trial.system_attrs.get(SystemKey.LOST)


def point_key(names: Sequence[str], params: dict[str, Any]) -> str:
    """The params key of ``params`` over ``names`` (a missing name counts as None)."""
    return params_key({name: params.get(name) for name in names})


class Holders:
    """How many trials hold each point, by the key ``key_of`` gives a trial's params (None: no
    point of ours).

    ``update`` reads only the trials added since the last call and those unfinished then, so a
    long study costs the same per call; a shorter history than the one read starts afresh.
    """

    def __init__(self, key_of: KeyFn, retry_failed: bool = False) -> None:
        self._key_of = key_of
        self._retry_failed = retry_failed
        self._reset()

    def _reset(self) -> None:
        self.counts: dict[Hashable, int] = {}
        self._open: dict[int, Hashable] = {}  # unfinished trial number -> its point's key
        self._seen = 0
        self._mask: np.ndarray | None = None  # held points by index, once ``held`` is asked

    def update(self, history: Sequence[FrozenTrial]) -> bool:
        """Read the new trials and the ones that have finished since; whether a point that
        was held may be free again."""
        freed = len(history) < self._seen  # another history: every point starts free
        if freed:
            self._reset()
        for t in history[self._seen :]:
            key = self._key_of(t.params)
            if key is None:
                continue
            if not t.state.finished:
                self._open[t.number] = key
            if not t.state.finished or holds(t, self._retry_failed):
                self._add(key, 1)
        self._seen = len(history)
        for number in [i for i in self._open if history[i].state.finished]:
            key = self._open.pop(number)  # the study's history is indexed by trial number
            if not holds(history[number], self._retry_failed):
                freed = self._add(key, -1) or freed
        return freed

    def _add(self, key: Hashable, delta: int) -> bool:
        """Count one holder more or less; whether the point became free."""
        count = self.counts.get(key, 0) + delta
        self.counts[key] = count
        if self._mask is not None:
            self._mask[key] = count > 0  # type: ignore[index]
        return count == 0

    def held(self, size: int) -> np.ndarray:
        """Per point index ``0 .. size - 1`` (integer keys), whether a trial holds it; kept up
        to date by ``update`` from the first call on."""
        if self._mask is None or len(self._mask) != size:
            self._mask = np.zeros(size, dtype=bool)
            taken = [k for k, c in self.counts.items() if c > 0]
            self._mask[np.array(taken, dtype=np.int64)] = True
        return self._mask
