"""Exhaustive grid search: every grid point exactly once, in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Float, Space, grid_points
from tunesmith.strategies.base import Strategy, params_key
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import Boolean, Integer, NoneOr, check_params


class Grid(Strategy):
    """All combinations of each parameter's grid points (last name varies fastest).

    ``n_points`` sets how many points a Float without ``step`` gets (and caps long Int ranges).
    Points already claimed by any trial are skipped; with ``retry_failed=True`` a point whose
    every trial failed is handed out again. The study ends when nothing is left.
    """

    name = "grid"
    _parameters = {"n_points": NoneOr(Integer(1)), "retry_failed": Boolean()}

    def __init__(self, n_points: int | None = None, retry_failed: bool = False):
        check_params("Grid", self._parameters, locals())
        self.n_points = None if n_points is None else int(n_points)
        self.retry_failed = bool(retry_failed)
        self._cache: tuple[Any, list[dict[str, Any]], list[str]] | None = None
        self._space_key: Any = None
        self._taken: dict[str, int] = {}
        self._open: dict[int, str] = {}  # unfinished trial number -> its point's key
        self._seen = 0
        self._next = 0

    def points(self, space: Space) -> list[dict[str, Any]]:
        """The full grid of ``space`` in proposal order."""
        if not space:
            raise ValueError(
                "Grid search needs a declared space: pass space={...} to create_study."
            )
        key = tuple((k, repr(v)) for k, v in space.items())
        if self._cache is None or self._cache[0] != key:
            for name, dist in space.items():
                if isinstance(dist, Float) and dist.step is None and self.n_points is None:
                    raise ValueError(
                        f"Parameter {name!r} is {dist!r} with no step, so its grid is "
                        "undefined: give it a step or use Grid(n_points=n)."
                    )
            pts = grid_points(space, self.n_points)
            self._cache = (key, pts, [params_key(p) for p in pts])
        return self._cache[1]

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        points = self.points(space)
        taken = self._update_taken(history, space)
        keys = self._cache[2]  # type: ignore[index]
        out = []
        while self._next < len(points) and taken.get(keys[self._next], 0) > 0:
            self._next += 1
        for i in range(self._next, len(points)):
            if taken.get(keys[i], 0) == 0:
                out.append(points[i])
                if len(out) == n:
                    break
        return out

    def _update_taken(self, history: Sequence[FrozenTrial], space: Space) -> dict[str, int]:
        """Count trials holding each point, reading only new and still-running trials."""
        if self._seen > len(history) or self._space_key != self._cache[0]:  # type: ignore[index]
            self._taken, self._seen, self._open, self._next = {}, 0, {}, 0
            self._space_key = self._cache[0]  # type: ignore[index]
        for t in history[self._seen :]:
            if self.retry_failed and t.state is TrialState.FAIL:
                continue
            k = params_key({name: t.params.get(name) for name in space})
            self._taken[k] = self._taken.get(k, 0) + 1
            if not t.state.finished:
                self._open[t.number] = k
        self._seen = len(history)
        if self._open:
            for number in list(self._open):
                t = history[number]  # the study's history is indexed by trial number
                if t.state.finished:
                    k = self._open.pop(number)
                    if self.retry_failed and t.state is TrialState.FAIL:
                        self._taken[k] -= 1
                        self._next = 0
        return self._taken
