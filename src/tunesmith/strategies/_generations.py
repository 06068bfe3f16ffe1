"""The genetic strategies' generation bookkeeping: what the history holds, read incrementally.

``HistoryCache`` keeps the params keys of finished trials, the best complete trials and the
latest generations' batch ids; ``Taken`` tells which points are no longer new.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Distribution, Space, grid_points, grid_size
from tunesmith.strategies.base import decode, encode, params_key, signed_values, usable
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["Taken", "HistoryCache", "random_point", "is_parent", "space_key"]

_RANDOM_TRIES = 8
_ENUMERATE_LIMIT = 10_000  # a finite space up to this size is listed when random draws fail


class Taken:
    """Params keys of finished trials (shared, never copied), of unfinished ones, and of those
    handed out in this call."""

    def __init__(self, known: set[str], new: set[str]) -> None:
        self.known, self.new = known, new

    def __contains__(self, key: str) -> bool:
        return key in self.new or key in self.known

    def add(self, key: str) -> None:
        self.new.add(key)


def random_point(space: Space, taken: Taken, rng: np.random.Generator) -> dict[str, Any] | None:
    """A uniform random point not in ``taken``; the free grid points of a small finite space
    are listed when random draws keep repeating; None when nothing is free."""
    for _ in range(_RANDOM_TRIES):
        params = decode(rng.random(len(space)), space)
        if params_key(params) not in taken:
            return params
    if grid_size(space) > _ENUMERATE_LIMIT:
        return None
    free = [p for p in grid_points(space) if params_key(p) not in taken]
    return free[int(rng.integers(len(free)))] if free else None


def is_parent(trial: FrozenTrial, space: Space) -> bool:
    """Whether a trial can be a parent: complete, with values, inside ``space``."""
    return trial.state is TrialState.COMPLETE and trial.values is not None and usable(trial, space)


def _space_signature(space: Space) -> tuple[tuple[str, Distribution], ...]:
    return tuple(space.items())


class HistoryCache:
    """What the strategy knows of the history, read incrementally.

    The params keys of finished trials, the best complete trials, the two latest batch ids and
    the trials still unfinished, so a call reads only new trials and those that were running.
    Everything it holds is a function of the history alone, never of when calls were made.
    """

    def __init__(self) -> None:
        self._reset(())

    def _reset(self, signature: Any) -> None:
        self.signature = signature
        self.keys: set[str] = set()
        self.best: list[tuple[tuple[float, ...], int]] = []  # (losses, number), sorted
        self.latest_batch: int | None = None
        self.previous_batch: int | None = None
        self._open: dict[int, None] = {}  # unfinished trial numbers, in order
        self._seen = 0
        self._encoded: dict[int, tuple[np.ndarray, tuple[float, ...]]] = {}
        self._anchor: tuple[FrozenTrial, str] | None = None  # a finished trial already read

    def update(
        self,
        history: Sequence[FrozenTrial],
        space: Space,
        directions: Sequence[str],
        keep: int,
    ) -> None:
        """Read the trials added since the last call and those that have finished since."""
        signature = (_space_signature(space), tuple(directions), keep)
        if signature != self.signature or not self._same_history(history, space):
            self._reset(signature)
        for t in history[self._seen :]:
            self._note_batch(t.batch)
            if t.state.finished:
                key = space_key(t, space)
                self.keys.add(key)
                self._admit(t, space, directions, keep)
                self._anchor = (t, key)
            else:  # its params may still grow (define-by-run): keyed when asked
                self._open[t.number] = None
        self._seen = len(history)
        for number in list(self._open):
            t = history[number]  # the study's history is indexed by trial number
            if t.state.finished:
                del self._open[number]
                self.keys.add(space_key(t, space))
                self._admit(t, space, directions, keep)

    def _same_history(self, history: Sequence[FrozenTrial], space: Space) -> bool:
        """Whether ``history`` extends the one read so far (same trial at the anchor)."""
        if self._anchor is None:
            return len(history) >= self._seen
        trial, key = self._anchor
        if len(history) < self._seen:
            return False
        current = history[trial.number]
        return current is trial or space_key(current, space) == key

    def _note_batch(self, batch: Any) -> None:
        if batch is None or batch == self.latest_batch:
            return
        if self.latest_batch is None or batch > self.latest_batch:
            self.latest_batch, self.previous_batch = batch, self.latest_batch
        elif self.previous_batch is None or batch > self.previous_batch:
            self.previous_batch = batch

    def _admit(self, t: FrozenTrial, space: Space, directions: Sequence[str], keep: int) -> None:
        if keep == 0 or not is_parent(t, space):
            return
        item = (signed_values(t, directions), t.number)
        if len(self.best) < keep or item < self.best[-1]:
            bisect.insort(self.best, item)
            del self.best[keep:]

    def encoded(
        self,
        history: Sequence[FrozenTrial],
        numbers: list[int],
        space: Space,
        directions: Sequence[str],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit-cube points and losses of finished trials, kept between calls for the pool."""
        rows = {}
        for i in numbers:
            row = self._encoded.get(i)
            if row is None:
                t = history[i]
                row = (encode(t.params, space), signed_values(t, directions))
            rows[i] = row
        self._encoded = rows
        return np.array([r[0] for r in rows.values()]), np.array([r[1] for r in rows.values()])

    def open_keys(self, history: Sequence[FrozenTrial], space: Space) -> set[str]:
        """Params keys of the trials still waiting or running, as they stand now."""
        return {space_key(history[i], space) for i in self._open}

    def best_numbers(self) -> list[int]:
        """Numbers of the best complete trials kept, best first."""
        return [number for _, number in self.best]

    def generation_running(self, history: Sequence[FrozenTrial]) -> bool:
        """Whether a trial of the latest batch is still waiting or running."""
        latest = self.latest_batch
        return latest is not None and any(
            history[i].batch == latest for i in self._open if i >= latest
        )

    def generation_pool(self, history: Sequence[FrozenTrial], space: Space) -> list[int]:
        """Numbers of the parents: the last generation's complete members, the elites of the
        whole history, and trials without a batch (enqueued) since the generation before."""
        pool = set(self.best_numbers())
        latest, before = self.latest_batch, self.previous_batch
        if latest is None:
            return sorted(pool)
        start = before + 1 if before is not None else 0
        for t in history[start:]:
            batch = t.batch
            if (batch == latest or batch is None) and is_parent(t, space):
                pool.add(t.number)
        return sorted(pool)


def space_key(trial: FrozenTrial, space: Space) -> str:
    """The params key of a trial's values for the names of ``space``."""
    return params_key({name: trial.params.get(name) for name in space})
