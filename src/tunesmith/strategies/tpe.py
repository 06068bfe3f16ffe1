"""Tree-structured Parzen estimator: propose where good trials are dense and bad ones sparse.

Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization"; one joint kernel per trial
as in Falkner et al. 2018, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale";
several objectives as in Ozaki et al. 2020, "Multiobjective Tree-Structured Parzen Estimator".
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunesmith.space import Distribution, Space
from tunesmith.strategies import _parzen
from tunesmith.strategies import _tpe_split as split
from tunesmith.strategies.base import Strategy
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["TPE"]


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


# name -> (check, rule): the constructor's whole contract, checked once.
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n_startup_trials": (lambda v: _is_int(v) and v >= 0, "an int >= 0"),
    "n_ei_candidates": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "gamma": (lambda v: _is_real(v) and 0 < v <= 1, "a float in (0, 1]"),
    "max_good": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "prior_weight": (lambda v: _is_real(v) and 0 < v < math.inf, "a float > 0"),
    "constant_liar": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "avoid_repeats": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
}


class TPE(Strategy):
    """Tree-structured Parzen estimator (Bergstra et al. 2011), multivariate (Falkner et al.
    2018), multi-objective by non-dominated rank (Ozaki et al. 2020).

    The first ``n_startup_trials`` finished trials are uniform draws. Then the finished trials
    split into the best ``min(ceil(gamma * n), max_good)`` and the rest; ``n_ei_candidates``
    points drawn from the density of the good ones, l(x), compete on l(x) / g(x), g the density
    of the rest. Pruned trials rank below every complete one, failed ones are ignored. With
    ``constant_liar=True`` running trials count as bad, so parallel workers spread out, and no
    proposal (start-up draws included) repeats a running point while others exist; points
    proposed earlier in the same call are always treated so. With ``avoid_repeats=True`` a
    candidate that decodes to a point already evaluated also loses to any other, and when l(x)
    offers only such points more are drawn (from l, then uniformly): for deterministic
    objectives over discrete spaces, where a repeat is a wasted evaluation. Leave it off for
    noisy objectives: there, evaluating a good point again is information
    (benchmarks/results_quality.md measures both).
    Define-by-run parameters that appear together are modelled together, over the trials that
    have them.
    """

    name = "tpe"

    def __init__(
        self,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: float = 0.1,
        max_good: int = 25,
        prior_weight: float = 1.0,
        constant_liar: bool = False,
        avoid_repeats: bool = False,
    ):
        for key, value in locals().items():
            if key in _RULES and not _RULES[key][0](value):
                raise ValueError(
                    f"The {key!r} parameter of TPE must be {_RULES[key][1]}. Got {value!r} instead."
                )
        self.n_startup_trials = int(n_startup_trials)
        self.n_ei_candidates = int(n_ei_candidates)
        self.gamma = float(gamma)
        self.max_good = int(max_good)
        self.prior_weight = float(prior_weight)
        self.constant_liar = bool(constant_liar)
        self.avoid_repeats = bool(avoid_repeats)
        self._lock = threading.Lock()
        self._table = _Table()

    def __getstate__(self) -> dict[str, Any]:
        """Arguments only: a copy starts with an empty cache and its own lock."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**{k: v for k, v in state.items() if k != "directions"})  # type: ignore[misc]
        if "directions" in state:
            self.directions = state["directions"]

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        if not space:
            return [{} for _ in range(n)]
        with self._lock:
            self._table.update(history, space, self.directions)
            unit = self._propose_unit(self._table, n, rng)
        return [
            {name: dist.from_unit(u) for (name, dist), u in zip(space.items(), row)} for row in unit
        ]

    def _propose_unit(self, table: _Table, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points of the unit cube, one group of co-occurring parameters at a time."""
        kind = table.kind
        finished = (kind == split.COMPLETE) | (kind == split.PRUNED)
        pending = (kind == split.PENDING) if self.constant_liar else np.zeros(len(kind), bool)
        present = ~np.isnan(table.x)
        out = np.empty((n, table.x.shape[1]))
        for dims in _groups(present[finished | pending], table.x.shape[1]):
            has = present[:, dims[0]]
            rows = np.flatnonzero(finished & has)
            dists = tuple(table.dists[j] for j in dims)
            liars = table.x[np.flatnonzero(pending & has)][:, dims]
            if len(rows) < max(self.n_startup_trials, 1):
                out[:, dims] = self._uniform_group(table.x[rows][:, dims], dists, liars, n, rng)
                continue
            out[:, dims] = self._propose_group(table, rows, dims, dists, liars, n, rng)
        return out

    def _uniform_group(
        self,
        points: np.ndarray,
        dists: tuple[Distribution, ...],
        liars: np.ndarray,
        n: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """``n`` uniform draws (the start-up phase), kept off running and earlier points."""
        axes = _parzen.Axes.of(dists)
        out = _parzen.snap(rng.random((n, len(dists))), axes)
        uniform = lambda m: _parzen.snap(rng.random((m, len(dists))), axes)  # noqa: E731
        zeros = lambda free: np.zeros(len(free))  # noqa: E731 - every point is as good
        for i in range(n):
            running = np.vstack([liars, out[:i]])
            out[i] = self._pick(out[i : i + 1], np.zeros(1), running, points, [uniform], zeros)
        return out

    def _propose_group(
        self,
        table: _Table,
        rows: np.ndarray,
        dims: np.ndarray,
        dists: tuple[Distribution, ...],
        liars: np.ndarray,
        n: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Fit l and g over ``rows`` in dimensions ``dims`` and pick ``n`` points one by one."""
        axes = _parzen.Axes.of(dists)
        k = split.n_good(len(rows), self.gamma, self.max_good)
        good = split.good_rows(
            rows, table.kind[rows], table.loss[rows], table.step[rows], table.last[rows], k
        )
        points = table.x[rows][:, dims]
        above = np.vstack([points[~good], liars])
        weights = np.concatenate(
            [split.forgetting_weights(int((~good).sum())), np.ones(len(liars))]
        )
        l_est = _parzen.fit(points[good], np.ones(int(good.sum())), axes, self.prior_weight)
        picks = np.empty((n, len(dims)))
        uniform = lambda m: _parzen.snap(rng.random((m, len(dims))), axes)  # noqa: E731
        draws = (lambda m: l_est.sample(m, rng), uniform)  # near the good points first
        for i in range(n):
            g_est = _parzen.fit(
                np.vstack([above, picks[:i]]),
                np.concatenate([weights, np.ones(i)]),
                axes,
                self.prior_weight,
            )
            candidates = l_est.sample(self.n_ei_candidates, rng)
            score = l_est.log_pdf(candidates) - g_est.log_pdf(candidates)
            running = np.vstack([liars, picks[:i]])  # handed out, not finished
            rescore = lambda free, g=g_est: l_est.log_pdf(free) - g.log_pdf(free)  # noqa: E731
            picks[i] = self._pick(candidates, score, running, points, draws, rescore)
        return picks

    def _pick(
        self,
        candidates: np.ndarray,
        score: np.ndarray,
        running: np.ndarray,
        evaluated: np.ndarray,
        draws: Sequence[Callable[[int], np.ndarray]],
        rescore: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """The best-scored candidate that is not running and (with ``avoid_repeats``) not
        evaluated: the strictest of these exclusions that leaves a candidate applies. When
        every candidate is excluded, more are drawn from each of ``draws`` in turn (each gives
        that many points) and scored by ``rescore``."""
        blocks = (np.vstack([running, evaluated]), running) if self.avoid_repeats else (running,)
        for block in blocks:
            if not len(block):
                continue
            same = _is_taken(candidates, block)
            if not same.all():
                return candidates[int(np.argmax(np.where(same, -np.inf, score)))]
            for draw in draws:
                more = draw(_WIDE * self.n_ei_candidates)
                free = more[~_is_taken(more, block)]
                if len(free):
                    return free[int(np.argmax(rescore(free)))]
        return candidates[int(np.argmax(score))]


def _is_taken(points: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Per point, whether it decodes to the same values as one of ``taken``."""
    near = np.abs(points[:, None, :] - taken[None, :, :]) <= _SAME
    return near.all(axis=2).any(axis=1)


def _groups(present: np.ndarray, d: int) -> list[np.ndarray]:
    """Dimensions split into groups that appear in exactly the same trials, so each trial has
    every dimension of a group or none; dimensions no trial has form one group of their own."""
    if not len(present) or present.all():
        return [np.arange(d)]
    if d < 63:  # rows as bit patterns: one integer sort instead of a row sort
        codes = np.unique(present.astype(np.int64) @ (np.int64(1) << np.arange(d, dtype=np.int64)))
        patterns = (codes[:, None] >> np.arange(d)) & 1
    else:
        patterns = np.unique(present, axis=0)
    _, label = np.unique(patterns.T, axis=0, return_inverse=True)
    label = np.asarray(label).ravel()
    return [np.flatnonzero(label == g) for g in range(label.max() + 1)]


class _Table:
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
        self.kind[n:] = split.IGNORED  # rows past the history are never read

    def _encode(self, i: int, t: FrozenTrial, directions: Sequence[str]) -> None:
        for j, (name, dist) in enumerate(zip(self.names, self.dists)):
            value = t.params.get(name, _MISSING)
            ok = value is not _MISSING and dist.contains(value)
            self.x[i, j] = dist.to_unit(value) if ok else np.nan
        self.kind[i], self.loss[i], self.step[i], self.last[i] = _row_values(t, directions)


_MISSING = object()
_SAME = 1e-9  # unit points this close decode to the same value (encodings differ by rounding)
_WIDE = 8  # uniform draws per EI candidate when every candidate is a point already running
_SIGN = {"minimize": 1.0, "maximize": -1.0}


def _row_values(t: FrozenTrial, directions: Sequence[str]) -> tuple[int, np.ndarray, float, float]:
    """(kind, signed losses, last step, signed last intermediate value) of one trial."""
    signs = np.array([_SIGN[d] for d in directions])
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
