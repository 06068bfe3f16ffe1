"""What a SearchCV fit searches: its strategy and space, how many candidates it evaluates and
how many it asks the study for at once."""

from __future__ import annotations

from typing import Any

from tunesmith.sklearn.space import SearchSpace
from tunesmith.sklearn.study import pick_auto, resolve_strategy
from tunesmith.strategies import Strategy

__all__ = ["DEFAULT_TRIALS", "batch_size", "count_trials", "strategy_and_space"]

DEFAULT_TRIALS = 10  # random and model-based strategies, like RandomizedSearchCV's n_iter
_DEFAULT_GENERATIONS = 3  # population strategies: three generations


def strategy_and_space(
    strategy: Any, space: Any, n_trials: int | None
) -> tuple[Strategy, SearchSpace]:
    """The fit's strategy (rule: "auto" decided up front, for the budget ``n_trials``, else the
    size of a finite space, else 10) and the study's space for it."""
    chosen = resolve_strategy(strategy)
    if chosen.name == "auto":
        probe = SearchSpace(space, grid=False)
        chosen = pick_auto(probe.space, n_trials or probe.size or DEFAULT_TRIALS)
    grid = chosen.name == "grid"
    n_points = getattr(chosen, "n_points", None) if grid else None
    return chosen, SearchSpace(space, grid=grid, n_points=n_points)


def count_trials(strategy: Strategy, space: SearchSpace, n_trials: int | None) -> int:
    """The fit's budget (rule: ``n_trials``, else the whole grid for "grid", three
    generations for a population strategy, else 10; never more than a finite space holds)."""
    if strategy.name == "grid":
        size = space.size
        if space.mode != "listed" and hasattr(strategy, "points"):
            size = len(strategy.points(space.space))  # Grid(n_points=...) decides
        assert size is not None
        return min(n_trials, size) if n_trials is not None else size
    if n_trials is not None:
        n = n_trials
    else:
        population = getattr(strategy, "population_size", None)
        n = _DEFAULT_GENERATIONS * population if population else DEFAULT_TRIALS
    return min(n, space.size) if space.size is not None else n


def batch_size(strategy: Strategy, remaining: int, n_jobs: int, pruning: bool) -> int:
    """Candidates per ask (rule: all at once for grid and random, a generation for population
    strategies, ``n_jobs`` for model-based ones and with a pruner)."""
    if pruning:
        return min(remaining, n_jobs)
    if strategy.name in ("grid", "random"):
        return remaining
    population = getattr(strategy, "population_size", None)
    return min(remaining, population or n_jobs)
