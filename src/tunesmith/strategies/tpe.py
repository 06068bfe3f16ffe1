"""Tree-structured Parzen estimator: propose where good trials are dense and bad ones sparse.

Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization"; one joint kernel per trial
as in Falkner et al. 2018, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale";
several objectives as in Ozaki et al. 2020, "Multiobjective Tree-Structured Parzen Estimator".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunesmith.space import Distribution, Space
from tunesmith.strategies import _tpe_split as split
from tunesmith.strategies import parzen
from tunesmith.strategies._tpe_table import Table
from tunesmith.strategies.base import Strategy
from tunesmith.trial import FrozenTrial
from tunesmith.validation import Boolean, Integer, Real, check_params

__all__ = ["TPE"]


_SAME = 1e-9  # unit points this close decode to the same value (encodings differ by rounding)
_WIDE = 8  # uniform draws per EI candidate when every candidate is a point already running


class TPE(Strategy):
    """Tree-structured Parzen estimator (Bergstra et al. 2011), multivariate (Falkner et al.
    2018), multi-objective by non-dominated rank (Ozaki et al. 2020).

    The first ``n_startup_trials`` finished trials are uniform draws. Then the finished trials
    split into the best ``min(ceil(gamma * n), max_good)`` and the rest; ``n_ei_candidates``
    points drawn from the density of the good ones, l(x), compete on l(x) / g(x), g the density
    of the rest. Pruned trials rank below every complete one, failed ones are ignored; with
    constraints (``Trial.set_constraints``) feasible trials rank first, then infeasible ones by
    total violation (Deb 2000). With
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

    Args:
        n_startup_trials: Finished trials drawn uniformly before the model proposes.
        n_ei_candidates: Candidates drawn from l(x) for each proposal.
        gamma: Fraction of the finished trials counted as good, in (0, 1].
        max_good: The most trials counted as good.
        prior_weight: Weight of the flat prior kernel in both densities (> 0).
        constant_liar: Count running trials as bad, so parallel workers spread out.
        avoid_repeats: Make a candidate that repeats an evaluated point lose to any other.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Float(-5, 5), "kind": ts.Choice(["a", "b"])}
        >>> tpe = ts.strategies.TPE(n_startup_trials=5, constant_liar=True)
        >>> study = ts.create_study(space=space, strategy=tpe, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2, n_trials=30, n_jobs=2)
        >>> len(study.trials)
        30
    """

    name = "tpe"
    _parameters = {
        "n_startup_trials": Integer(0),
        "n_ei_candidates": Integer(1),
        "gamma": Real(0, 1, closed="right"),
        "max_good": Integer(1),
        "prior_weight": Real(0, closed="right"),
        "constant_liar": Boolean(),
        "avoid_repeats": Boolean(),
    }

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
        check_params("TPE", self._parameters, locals())
        self.n_startup_trials = int(n_startup_trials)
        self.n_ei_candidates = int(n_ei_candidates)
        self.gamma = float(gamma)
        self.max_good = int(max_good)
        self.prior_weight = float(prior_weight)
        self.constant_liar = bool(constant_liar)
        self.avoid_repeats = bool(avoid_repeats)
        self._lock = threading.Lock()
        self._table = Table()

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

    def _propose_unit(self, table: Table, n: int, rng: np.random.Generator) -> np.ndarray:
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
        axes = parzen.Axes.of(dists)
        out = parzen.snap(rng.random((n, len(dists))), axes)
        uniform = lambda m: parzen.snap(rng.random((m, len(dists))), axes)  # noqa: E731
        zeros = lambda free: np.zeros(len(free))  # noqa: E731 - every point is as good
        for i in range(n):
            running = np.vstack([liars, out[:i]])
            out[i] = self._pick(out[i : i + 1], np.zeros(1), running, points, [uniform], zeros)
        return out

    def _propose_group(
        self,
        table: Table,
        rows: np.ndarray,
        dims: np.ndarray,
        dists: tuple[Distribution, ...],
        liars: np.ndarray,
        n: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Fit l and g over ``rows`` in dimensions ``dims`` and pick ``n`` points one by one."""
        axes = parzen.Axes.of(dists)
        k = split.n_good(len(rows), self.gamma, self.max_good)
        good = table.good(rows, k)
        points = table.x[rows][:, dims]
        above = np.vstack([points[~good], liars])
        weights = np.concatenate(
            [split.forgetting_weights(int((~good).sum())), np.ones(len(liars))]
        )
        l_est = parzen.fit(points[good], np.ones(int(good.sum())), axes, self.prior_weight)
        picks = np.empty((n, len(dims)))
        uniform = lambda m: parzen.snap(rng.random((m, len(dims))), axes)  # noqa: E731
        draws = (lambda m: l_est.sample(m, rng), uniform)  # near the good points first
        for i in range(n):
            g_est = parzen.fit(
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
