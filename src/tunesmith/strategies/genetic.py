"""Genetic algorithm over mixed spaces, in the unit cube.

Tournament selection, crossover, mutation and elitism (operators in ``_operators``);
generational, deterministic whatever the parallelism, or steady state.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Choice, Distribution, Int, Space, grid_points
from tunesmith.strategies import _operators as ops
from tunesmith.strategies.base import Strategy, decode, encode, params_key, signed_values, usable
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["Genetic"]

_CROSSOVERS = ("uniform", "sbx", "blend")
_MUTATIONS = ("gaussian", "polynomial")
_REMUTATE_TRIES = 8  # re-mutations of a duplicate child before drawing random individuals
_RANDOM_TRIES = 8
_ENUMERATE_LIMIT = 10_000  # a finite space up to this size is listed when random draws fail


def _int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _fail(name: str, rule: str, got: Any) -> ValueError:
    return ValueError(f"The {name!r} parameter of Genetic must be {rule}. Got {got!r} instead.")


class Genetic(Strategy):
    """A genetic algorithm (Holland 1975; Goldberg 1989) over Float, Int and Choice parameters.

    Individuals are points of the unit cube. Parents are chosen by tournament on the loss,
    crossed with probability ``crossover_prob`` ("uniform", "sbx" after Deb & Agrawal 1995, or
    "blend", BLX-alpha after Eshelman & Schaffer 1993) and mutated gene by gene with probability
    ``mutation_prob`` (default 1/d) by "gaussian" steps of ``mutation_scale`` or "polynomial" steps
    of index ``mutation_eta`` (Deb & Goyal 1996). Choice genes are never averaged: crossover copies
    them whole from a parent and mutation draws another option. Int and log parameters are
    crossed and mutated in the unit cube and rounded back by their distribution.

    Generational (default): a whole generation of ``population_size`` is proposed at once,
    whatever ``n``; the next is bred once every member has finished, from the last generation's
    complete members, the ``elitism`` best trials of the whole history and trials the user
    enqueued meanwhile. Elites stay parents; they are not proposed again. The first generation
    is uniform random, as is any generation with fewer than two complete parents. With
    ``steady_state=True`` each call returns ``n`` children of the best ``population_size``
    complete trials so far, without waiting. Failed and pruned trials are never parents; with
    several objectives the losses are compared lexicographically (use NSGA2 for Pareto fronts).
    No child repeats a trial of the history or a sibling.
    """

    name = "genetic"

    def __init__(
        self,
        population_size: int = 20,
        crossover: str = "sbx",
        crossover_prob: float = 0.9,
        crossover_eta: float = 15.0,
        blend_alpha: float = 0.5,
        mutation: str = "gaussian",
        mutation_prob: float | None = None,
        mutation_scale: float = 0.1,
        mutation_eta: float = 20.0,
        tournament_size: int = 2,
        elitism: int = 1,
        steady_state: bool = False,
    ):
        if not _int(population_size) or population_size < 2:
            raise _fail("population_size", "an int >= 2", population_size)
        if crossover not in _CROSSOVERS:
            raise _fail("crossover", "one of 'uniform', 'sbx', 'blend'", crossover)
        if mutation not in _MUTATIONS:
            raise _fail("mutation", "one of 'gaussian', 'polynomial'", mutation)
        if not _real(crossover_prob) or not 0 <= crossover_prob <= 1:
            raise _fail("crossover_prob", "a float in [0, 1]", crossover_prob)
        if mutation_prob is not None and (not _real(mutation_prob) or not 0 <= mutation_prob <= 1):
            raise _fail("mutation_prob", "a float in [0, 1] or None", mutation_prob)
        for name, value in (
            ("crossover_eta", crossover_eta),
            ("mutation_eta", mutation_eta),
            ("blend_alpha", blend_alpha),
        ):
            if not _real(value) or value < 0:
                raise _fail(name, "a float >= 0", value)
        if not _real(mutation_scale) or mutation_scale <= 0:
            raise _fail("mutation_scale", "a float > 0", mutation_scale)
        if not _int(tournament_size) or tournament_size < 1:
            raise _fail("tournament_size", "an int >= 1", tournament_size)
        if not _int(elitism) or not 0 <= elitism <= population_size:
            raise _fail("elitism", f"an int in [0, population_size={population_size}]", elitism)
        if not isinstance(steady_state, (bool, np.bool_)):
            raise _fail("steady_state", "a bool", steady_state)
        self.population_size = int(population_size)
        self.crossover = crossover
        self.crossover_prob = float(crossover_prob)
        self.crossover_eta = float(crossover_eta)
        self.blend_alpha = float(blend_alpha)
        self.mutation = mutation
        self.mutation_prob = None if mutation_prob is None else float(mutation_prob)
        self.mutation_scale = float(mutation_scale)
        self.mutation_eta = float(mutation_eta)
        self.tournament_size = int(tournament_size)
        self.elitism = int(elitism)
        self.steady_state = bool(steady_state)
        self._history_cache = _HistoryCache()

    # -- proposing ------------------------------------------------------------------------
    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        # Genes in name order: an inferred (define-by-run) space lists its names in the order
        # trials finished, which varies with the parallelism. Children keep the caller's order.
        order = list(space)
        children = self._children(history, dict(sorted(space.items())), n, rng)
        return [{name: child[name] for name in order} for child in children]

    def _children(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        cache = self._history_cache
        keep = self.population_size if self.steady_state else self.elitism
        cache.update(history, space, self.directions, keep)
        if self.steady_state:
            pool = cache.best_numbers()
            size = n
        else:
            if cache.generation_running(history):
                return []
            pool = self._generation_pool(history, space)
            size = self.population_size
        if not space:  # define-by-run, nothing complete yet: the trials draw their own params
            return [{} for _ in range(size)]
        taken = _Taken(cache.keys, cache.open_keys(history, space))
        if len(pool) < 2:
            return self._novel_random(size, space, taken, rng)
        units, losses = cache.encoded(history, pool, space, self.directions)
        return self._breed(units, losses, size, space, taken, rng)

    def _generation_pool(self, history: Sequence[FrozenTrial], space: Space) -> list[int]:
        """Numbers of the parents: the last generation's complete members, the elites of the
        whole history, and trials without a batch (enqueued) since the generation before."""
        cache = self._history_cache
        pool = set(cache.best_numbers())
        latest, before = cache.latest_batch, cache.previous_batch
        if latest is None:
            return sorted(pool)
        start = before + 1 if before is not None else 0
        for t in history[start:]:
            batch = t.system_attrs.get("batch")
            if (batch == latest or batch is None) and _parent(t, space):
                pool.add(t.number)
        return sorted(pool)

    def _breed(
        self,
        units: np.ndarray,
        losses: np.ndarray,
        size: int,
        space: Space,
        taken: _Taken,
        rng: np.random.Generator,
    ) -> list[dict[str, Any]]:
        """``size`` new children: tournament, crossover, mutation, then duplicates re-mutated."""
        n_pairs = (size + 1) // 2
        n_options = _n_options(space)
        parents = ops.tournament_select(losses, 2 * n_pairs, self.tournament_size, rng)
        a, b = units[parents[0::2]], units[parents[1::2]]
        cross = rng.random(n_pairs) < self.crossover_prob
        c1, c2 = self._cross(a, b, n_options, rng)
        c1 = np.where(cross[:, None], c1, a)
        c2 = np.where(cross[:, None], c2, b)
        children = self._mutate(np.concatenate([c1, c2])[:size], n_options, rng)
        out: list[dict[str, Any]] = []
        for child in children:
            params = self._novel_child(child, space, n_options, taken, rng)
            if params is not None:
                out.append(params)
        return out

    def _cross(
        self, a: np.ndarray, b: np.ndarray, n_options: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.crossover == "uniform":
            return ops.crossover_uniform(a, b, rng)
        if self.crossover == "blend":
            return ops.crossover_blend(a, b, rng, self.blend_alpha, n_options)
        return ops.crossover_sbx(a, b, rng, self.crossover_eta, n_options)

    def _mutate(self, x: np.ndarray, n_options: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(n_options)
        if self.mutation == "polynomial":
            return ops.mutate_polynomial(x, rng, prob, self.mutation_eta, n_options)
        return ops.mutate_gaussian(x, rng, prob, self.mutation_scale, n_options)

    def _novel_child(
        self,
        child: np.ndarray,
        space: Space,
        n_options: np.ndarray,
        taken: _Taken,
        rng: np.random.Generator,
    ) -> dict[str, Any] | None:
        """The child, re-mutated while it repeats a known point, else a new random point."""
        for _ in range(_REMUTATE_TRIES):
            params = decode(child, space)
            key = params_key(params)
            if key not in taken:
                taken.add(key)
                return params
            child = self._mutate(child, n_options, rng)
        found = self._novel_random(1, space, taken, rng)
        return found[0] if found else None

    def _novel_random(
        self, size: int, space: Space, taken: _Taken, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """``size`` uniform random points not in ``taken`` (fewer if the space runs out)."""
        out: list[dict[str, Any]] = []
        for _ in range(size):
            params = _random_point(space, taken, rng)
            if params is None:
                break
            taken.add(params_key(params))
            out.append(params)
        return out


class _Taken:
    """Params keys of finished trials (shared, never copied), of unfinished ones, and of those
    handed out in this call."""

    def __init__(self, known: set[str], new: set[str]) -> None:
        self.known, self.new = known, new

    def __contains__(self, key: str) -> bool:
        return key in self.new or key in self.known

    def add(self, key: str) -> None:
        self.new.add(key)


def _random_point(space: Space, taken: _Taken, rng: np.random.Generator) -> dict[str, Any] | None:
    for _ in range(_RANDOM_TRIES):
        params = decode(rng.random(len(space)), space)
        if params_key(params) not in taken:
            return params
    if _finite_size(space) > _ENUMERATE_LIMIT:
        return None
    free = [p for p in grid_points(space) if params_key(p) not in taken]
    return free[int(rng.integers(len(free)))] if free else None


def _finite_size(space: Space) -> float:
    size = 1.0
    for dist in space.values():
        if isinstance(dist, Choice):
            size *= len(dist.options)
        elif isinstance(dist, Int):
            size *= dist.size
        elif dist.step is not None:
            size *= round((dist.high - dist.low) / dist.step) + 1
        else:
            return math.inf
    return size


def _n_options(space: Space) -> np.ndarray:
    return np.array([len(d.options) if isinstance(d, Choice) else 0 for d in space.values()])


def _parent(trial: FrozenTrial, space: Space) -> bool:
    return trial.state is TrialState.COMPLETE and trial.values is not None and usable(trial, space)


def _space_signature(space: Space) -> tuple[tuple[str, Distribution], ...]:
    return tuple(space.items())


class _HistoryCache:
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
            self._note_batch(t.system_attrs.get("batch"))
            if t.state.finished:
                key = _key(t, space)
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
                self.keys.add(_key(t, space))
                self._admit(t, space, directions, keep)

    def _same_history(self, history: Sequence[FrozenTrial], space: Space) -> bool:
        """Whether ``history`` extends the one read so far (same trial at the anchor)."""
        if self._anchor is None:
            return len(history) >= self._seen
        trial, key = self._anchor
        if len(history) < self._seen:
            return False
        current = history[trial.number]
        return current is trial or _key(current, space) == key

    def _note_batch(self, batch: Any) -> None:
        if batch is None or batch == self.latest_batch:
            return
        if self.latest_batch is None or batch > self.latest_batch:
            self.latest_batch, self.previous_batch = batch, self.latest_batch
        elif self.previous_batch is None or batch > self.previous_batch:
            self.previous_batch = batch

    def _admit(self, t: FrozenTrial, space: Space, directions: Sequence[str], keep: int) -> None:
        if keep == 0 or not _parent(t, space):
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
        return {_key(history[i], space) for i in self._open}

    def best_numbers(self) -> list[int]:
        return [number for _, number in self.best]

    def generation_running(self, history: Sequence[FrozenTrial]) -> bool:
        """Whether a trial of the latest batch is still waiting or running."""
        latest = self.latest_batch
        return latest is not None and any(
            history[i].system_attrs.get("batch") == latest for i in self._open if i >= latest
        )


def _key(trial: FrozenTrial, space: Space) -> str:
    return params_key({name: trial.params.get(name) for name in space})
