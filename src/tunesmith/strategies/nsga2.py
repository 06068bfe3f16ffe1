"""NSGA-II: the genetic algorithm for several objectives, selecting on Pareto rank and crowding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.ranking import violations
from tunesmith.space import Space
from tunesmith.strategies._generations import Taken, is_parent
from tunesmith.strategies._pareto import crowding_distance, hypervolume, nondominated_ranks
from tunesmith.strategies.base import encode, params_key, signed_values
from tunesmith.strategies.genetic import Genetic
from tunesmith.trial import FrozenTrial

__all__ = ["NSGA2", "hypervolume"]


def constrained_ranks(losses: np.ndarray, violation: np.ndarray | None = None) -> np.ndarray:
    """Front index of each row by Deb et al.'s constrained domination: feasible rows (violation
    0) by Pareto front, then the infeasible ones after all of them, less violation first."""
    if violation is None or not np.any(violation > 0):
        return nondominated_ranks(losses)
    ranks = np.empty(len(losses), dtype=int)
    feasible = violation <= 0
    start = 0
    if feasible.any():
        ranks[feasible] = nondominated_ranks(losses[feasible])
        start = int(ranks[feasible].max()) + 1
    ranks[~feasible] = start + np.unique(violation[~feasible], return_inverse=True)[1]
    return ranks


def rank_and_crowd(losses: np.ndarray, violation: np.ndarray | None = None) -> np.ndarray:
    """Selection keys (constrained Pareto rank, minus crowding distance); lower is better."""
    ranks = constrained_ranks(losses, violation)
    crowd = np.zeros(len(losses))
    for level in np.unique(ranks):
        members = np.flatnonzero(ranks == level)
        crowd[members] = crowding_distance(losses[members])
    return np.column_stack([ranks, -crowd])


def select_survivors(
    losses: np.ndarray, size: int, violation: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the ``size`` best rows by rank then crowding (NSGA-II environmental selection)."""
    keys = rank_and_crowd(losses, violation)
    order = np.lexsort((np.arange(len(keys)), keys[:, 1], keys[:, 0]))
    return np.sort(order[:size])


class NSGA2(Genetic):
    """Non-dominated sorting genetic algorithm II (Deb, Pratap, Agarwal & Meyarivan 2002).

    Generational: the survivors of each generation are the best ``population_size`` of the
    previous survivors and the new complete members, by Pareto rank and then crowding distance
    (with constraints, ``Trial.set_constraints``, feasible members first: Deb et al.'s
    constrained domination);
    parents are drawn from the survivors by tournament on the same keys, and bred with the
    Genetic operators (SBX crossover and mutation in the unit cube, choices never averaged).
    Survivors are recomputed from the stored trials alone, so a reloaded study goes on the same.
    The last generation of an ``optimize`` call is cut to its budget, as with Genetic.

    Without a ``population_size`` the generation follows the batch, as with Genetic: a call
    for ``n`` trials (``optimize(..., batch_size=n)`` or ``ask_batch(n)``) gets a generation of
    the smallest multiple of ``n`` that is at least 20, so ``n_trials=200, batch_size=64`` runs
    batches of 64, 64, 64 and 8, and the survivors kept are as many as the largest generation
    so far (a function of the stored trials alone). One trial at a time gets generations of 20.

    Args:
        population_size: Members per generation (at least 2); None follows the batch.
        crossover: ``"uniform"``, ``"sbx"`` or ``"blend"``.
        crossover_prob: Probability that two parents are crossed, in [0, 1].
        crossover_eta: Distribution index of SBX crossover (larger: children nearer parents).
        blend_alpha: How far BLX-alpha children may land outside their parents' interval.
        mutation: ``"gaussian"`` or ``"polynomial"``.
        mutation_prob: Probability that a gene mutates; None for 1/d.
        mutation_scale: Standard deviation of a gaussian step, in the unit cube (> 0).
        mutation_eta: Distribution index of polynomial mutation.
        tournament_size: Individuals compared to pick each parent.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Float(0, 1), "y": ts.Float(0, 1)}
        >>> nsga2 = ts.strategies.NSGA2(population_size=10)
        >>> dirs = ["minimize", "minimize"]
        >>> study = ts.create_study(directions=dirs, space=space, strategy=nsga2, seed=0)
        >>> study.optimize(lambda t: (t.params["x"], (1 - t.params["x"]) ** 2), n_trials=40)
        >>> len(study.best_trials) > 1
        True
    """

    name = "nsga2"
    # Genetic's, less elitism and steady_state: NSGA-II is elitist and generational by design.
    _parameters = {
        k: v for k, v in Genetic._parameters.items() if k not in ("elitism", "steady_state")
    }

    def __init__(
        self,
        population_size: int | None = None,
        crossover: str = "sbx",
        crossover_prob: float = 0.9,
        crossover_eta: float = 15.0,
        blend_alpha: float = 0.5,
        mutation: str = "polynomial",
        mutation_prob: float | None = None,
        mutation_scale: float = 0.1,
        mutation_eta: float = 20.0,
        tournament_size: int = 2,
    ):
        super().__init__(
            population_size=population_size,
            crossover=crossover,
            crossover_prob=crossover_prob,
            crossover_eta=crossover_eta,
            blend_alpha=blend_alpha,
            mutation=mutation,
            mutation_prob=mutation_prob,
            mutation_scale=mutation_scale,
            mutation_eta=mutation_eta,
            tournament_size=tournament_size,
            elitism=0,
            steady_state=False,
        )
        del self.elitism, self.steady_state  # NSGA-II is elitist by construction
        self._survivor_cache: dict[Any, list[int]] = {}

    def _children(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        batches: dict[int, list[FrozenTrial]] = {}
        loose: list[FrozenTrial] = []
        for t in history:
            batch = t.batch
            (batches.setdefault(batch, []) if batch is not None else loose).append(t)
        if batches and any(not t.state.finished for t in batches[max(batches)]):
            return []  # the generation is still running
        size = self._generation_size(history, n)
        if not space:
            return [{} for _ in range(size)]
        taken = Taken({params_key({k: t.params.get(k) for k in space}) for t in history}, set())
        survivors = self._survivors(batches, loose, space)
        if len(survivors) < 2:
            return self._novel_random(size, space, taken, rng)
        losses = np.array([signed_values(t, self.directions) for t in survivors])
        units = np.array([encode(t.params, space) for t in survivors])
        keys = rank_and_crowd(losses, violations(survivors))
        return self._breed(units, keys, size, space, taken, rng)

    def _survivors(
        self, batches: dict[int, list[FrozenTrial]], loose: list[FrozenTrial], space: Space
    ) -> list[FrozenTrial]:
        """Replay environmental selection generation by generation (cached per generation)."""

        def parent(t: FrozenTrial) -> bool:
            return is_parent(t, space)

        key_space = tuple((k, repr(v)) for k, v in space.items())
        survivors: list[FrozenTrial] = []
        by_number = {t.number: t for ts_ in batches.values() for t in ts_}
        by_number.update({t.number: t for t in loose})
        done_loose = largest = 0
        size = self.survivor_size(largest)
        for batch in sorted(batches):
            largest = max(largest, sum(t.retry_of is None for t in batches[batch]))
            size = self.survivor_size(largest)
            cache_key = (key_space, self.directions, batch, size)
            cached = self._survivor_cache.get(cache_key)
            newcomers = [t for t in batches[batch] if parent(t)]
            # enqueued trials join the selection of the generation that follows them
            while done_loose < len(loose) and loose[done_loose].number < batch:
                if parent(loose[done_loose]):
                    newcomers.append(loose[done_loose])
                done_loose += 1
            if cached is not None:
                survivors = [by_number[k] for k in cached]
                continue
            pool = survivors + newcomers
            if pool:
                losses = np.array([signed_values(t, self.directions) for t in pool])
                pool = [pool[i] for i in select_survivors(losses, size, violations(pool))]
            survivors = pool
            self._survivor_cache[cache_key] = [t.number for t in survivors]
        tail = [t for t in loose[done_loose:] if parent(t)]
        if tail:
            pool = survivors + tail
            losses = np.array([signed_values(t, self.directions) for t in pool])
            survivors = [pool[i] for i in select_survivors(losses, size, violations(pool))]
        return survivors

    def survivor_size(self, largest: int) -> int:
        """How many survive a generation (rule: ``population_size`` when given, else the
        largest generation so far, so it follows the batch; 20 before any generation).

        Args:
            largest: The most members any generation so far had (0 before the first).

        Returns:
            The number of survivors.
        """
        return self.__dict__["population_size"] or largest or self.population_size
