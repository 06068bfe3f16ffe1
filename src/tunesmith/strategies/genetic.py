"""Genetic algorithm over mixed spaces, in the unit cube.

Tournament selection, crossover, mutation and elitism (operators in ``_operators``);
generational, deterministic whatever the parallelism, or steady state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Choice, Space
from tunesmith.strategies import _operators as ops
from tunesmith.strategies._batches import RunBudget, batch_population
from tunesmith.strategies._generations import HistoryCache, Taken, random_point
from tunesmith.strategies.base import Strategy, decode, params_key
from tunesmith.trial import FrozenTrial
from tunesmith.validation import (
    Boolean,
    Integer,
    NoneOr,
    OneOf,
    Real,
    check_params,
    param_error,
)

__all__ = ["Genetic"]

_REMUTATE_TRIES = 8  # re-mutations of a duplicate child before drawing random individuals
_DEFAULT_POPULATION = 20  # the population when none is given and trials come one at a time


def _population(self: Genetic) -> int:
    """The population the attribute reads (rule: the one given, else the default 20)."""
    return self.__dict__["population_size"] or _DEFAULT_POPULATION


def _set_population(self: Genetic, value: int | None) -> None:
    """Keep the population as given (None: follow the batch), as the stored settings do."""
    self.__dict__["population_size"] = value


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
    whatever ``n``, cut to what is left of the budget of the ``optimize`` call running it (but
    never below ``n``), so a run leaves no trial waiting beyond its ``n_trials``. Without a
    ``population_size`` the population follows the batch: a call for ``n`` trials (a batch of
    ``optimize(..., batch_size=n)``, or ``ask_batch(n)``) gets a generation of the smallest
    multiple of ``n`` that is at least 20 (``n`` itself from 20 up: 64 for 64, 24 for 8), so a
    batched objective gets whole batches of the size it asked for; one trial at a time gets
    generations of 20. The attribute ``population_size`` then reads 20 and the stored settings
    keep None. The next
    generation is bred once every member has finished, from the last generation's
    complete members, the ``elitism`` best trials of the whole history and trials the user
    enqueued meanwhile. Elites stay parents; they are not proposed again. The first generation
    is uniform random, as is any generation with fewer than two complete parents. With
    ``steady_state=True`` each call returns ``n`` children of the best ``population_size``
    complete trials so far, without waiting. Failed and pruned trials are never parents; with
    several objectives the losses are compared lexicographically (use NSGA2 for Pareto fronts).
    No child repeats a trial of the history or a sibling.

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
        elitism: Best trials of the whole history kept as parents (at most the population).
        steady_state: Breed ``n`` children per call from the best trials, without waiting.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Float(-5, 5), "n": ts.Int(1, 8)}
        >>> ga = ts.strategies.Genetic(population_size=10, crossover="blend")
        >>> study = ts.create_study(space=space, strategy=ga, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2 + t.params["n"], n_trials=40)
        >>> len(study.trials)
        40
    """

    name = "genetic"
    _parameters = {
        "population_size": Integer(2),
        "crossover": OneOf("uniform", "sbx", "blend"),
        "crossover_prob": Real(0, 1),
        "crossover_eta": Real(0),
        "blend_alpha": Real(0),
        "mutation": OneOf("gaussian", "polynomial"),
        "mutation_prob": NoneOr(Real(0, 1)),
        "mutation_scale": Real(0, closed="right"),
        "mutation_eta": Real(0),
        "tournament_size": Integer(1),
        "elitism": Integer(0),
        "steady_state": Boolean(),
    }

    population_size = property(_population, _set_population)

    def __init__(
        self,
        population_size: int | None = None,
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
        owner = type(self).__name__  # NSGA2 checks its own table here
        given = {k: v for k, v in locals().items() if k != "population_size" or v is not None}
        check_params(owner, type(self)._parameters, given)
        population = _DEFAULT_POPULATION if population_size is None else population_size
        if elitism > population:
            rule = f"an int in [0, population_size={population}]"
            raise param_error(owner, "elitism", rule, elitism)
        self.population_size = None if population_size is None else int(population_size)
        self.crossover = str(crossover)
        self.crossover_prob = float(crossover_prob)
        self.crossover_eta = float(crossover_eta)
        self.blend_alpha = float(blend_alpha)
        self.mutation = str(mutation)
        self.mutation_prob = None if mutation_prob is None else float(mutation_prob)
        self.mutation_scale = float(mutation_scale)
        self.mutation_eta = float(mutation_eta)
        self.tournament_size = int(tournament_size)
        self.elitism = int(elitism)
        self.steady_state = bool(steady_state)
        self._history_cache = HistoryCache()
        self._run = RunBudget()

    def __repr__(self) -> str:
        """The constructor's call, an unset population shown as the 20 it reads."""
        fields = {
            k: v for k, v in vars(self).items() if not k.startswith("_") and k != "directions"
        }
        fields["population_size"] = self.population_size
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"

    def plan(self, n_trials: int | None) -> None:
        """Hear the budget of the coming ``optimize`` call: its last generation is cut to fit.

        Args:
            n_trials: The ``n_trials`` of the coming ``optimize`` call; None for no limit.
        """
        self._run.plan(n_trials)

    def _generation_size(self, history: Sequence[FrozenTrial], n: int) -> int:
        """The population (rule: ``population_size``, else following a batch of ``n``), cut to
        what is left of the run's budget but never below ``n`` (``RunBudget.cut``)."""
        size = self.__dict__["population_size"] or batch_population(n, _DEFAULT_POPULATION)
        return self._run.cut(history, size, n)

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
            pool = cache.generation_pool(history, space)
            size = self._generation_size(history, n)
        if not space:  # define-by-run, nothing complete yet: the trials draw their own params
            return [{} for _ in range(size)]
        taken = Taken(cache.keys, cache.open_keys(history, space))
        if len(pool) < 2:
            return self._novel_random(size, space, taken, rng)
        units, losses = cache.encoded(history, pool, space, self.directions)
        return self._breed(units, losses, size, space, taken, rng)

    def _breed(
        self,
        units: np.ndarray,
        losses: np.ndarray,
        size: int,
        space: Space,
        taken: Taken,
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
        taken: Taken,
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
        self, size: int, space: Space, taken: Taken, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """``size`` uniform random points not in ``taken`` (fewer if the space runs out)."""
        out: list[dict[str, Any]] = []
        for _ in range(size):
            params = random_point(space, taken, rng)
            if params is None:
                break
            taken.add(params_key(params))
            out.append(params)
        return out


def _n_options(space: Space) -> np.ndarray:
    return np.array([len(d.options) if isinstance(d, Choice) else 0 for d in space.values()])
