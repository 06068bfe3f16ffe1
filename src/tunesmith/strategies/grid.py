"""Exhaustive grid search: every grid point exactly once, in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from tunesmith.space import Float, Space, grid_points
from tunesmith.strategies._holders import Holders, point_key
from tunesmith.strategies.base import Strategy, params_key
from tunesmith.trial import FrozenTrial
from tunesmith.validation import Boolean, Integer, NoneOr, check_params


class Grid(Strategy):
    """All combinations of each parameter's grid points (last name varies fastest).

    ``n_points`` sets how many points a Float without ``step`` gets (and caps long Int ranges).
    A point is skipped while a trial holds it: one waiting, running or finished. A trial whose
    machine failed (FAIL marked lost: its process was killed or its host vanished) holds
    nothing, so its point is handed out again unless another trial holds it; with
    ``retry_failed=True`` so is a point whose every trial failed. The study ends when nothing
    is left. Needs a declared space whose Floats have a step (or ``n_points``).

    Args:
        n_points: How many points a Float without ``step`` gets (and the cap of a long Int
            range); None needs a step on every Float.
        retry_failed: Hand out again a point whose every trial failed.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Int(0, 2), "kind": ts.Choice(["a", "b"])}
        >>> study = ts.create_study(space=space, strategy=ts.strategies.Grid())
        >>> study.optimize(lambda trial: trial.params["x"])
        >>> len(study.trials)
        6
    """

    name = "grid"
    _parameters = {"n_points": NoneOr(Integer(1)), "retry_failed": Boolean()}

    def __init__(self, n_points: int | None = None, retry_failed: bool = False):
        check_params("Grid", self._parameters, locals())
        self.n_points = None if n_points is None else int(n_points)
        self.retry_failed = bool(retry_failed)
        self._cache: tuple[Any, list[dict[str, Any]], list[str]] | None = None
        self._holders: Holders | None = None
        self._next = 0  # every point before this one is held

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """A declared space, each Float with a step unless ``n_points`` is given.

        Args:
            space: The study's space.
            directions: The study's directions (any number).

        Raises:
            ValueError: The space is empty, or a Float has no step and ``n_points`` is None.
        """
        if not space:
            raise ValueError(
                "Strategy 'grid' needs a declared space: this study has none (its parameters "
                "are suggested inside the objective); declare every parameter in its space."
            )
        if self.n_points is not None:
            return
        for name, dist in space.items():
            if isinstance(dist, Float) and dist.step is None:
                fix = "use Grid(n_points=n)"  # a log Float cannot have a step
                fix = fix if dist.log else f"give it a step or {fix}"
                raise ValueError(
                    f"Strategy 'grid' needs a finite declared space: parameter {name!r} is "
                    f"{dist!r} with no step; {fix}."
                )

    def points(self, space: Space) -> list[dict[str, Any]]:
        """The full grid of ``space`` in proposal order.

        Args:
            space: The study's space.

        Returns:
            Every grid point as a parameter dict.
        """
        key = tuple((k, repr(v)) for k, v in space.items())
        if self._cache is None or self._cache[0] != key:
            self.check(space, self.directions)
            pts = grid_points(space, self.n_points)
            self._cache = (key, pts, [params_key(p) for p in pts])
            self._holders = Holders(partial(point_key, tuple(space)), self.retry_failed)
            self._next = 0
        return self._cache[1]

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        points = self.points(space)
        keys = self._cache[2]  # type: ignore[index]
        holders = self._holders
        assert holders is not None
        if holders.update(history):
            self._next = 0  # a point before the scan's start is free again
        taken = holders.counts
        out = []
        while self._next < len(points) and taken.get(keys[self._next], 0) > 0:
            self._next += 1
        for i in range(self._next, len(points)):
            if taken.get(keys[i], 0) == 0:
                out.append(points[i])
                if len(out) == n:
                    break
        return out
