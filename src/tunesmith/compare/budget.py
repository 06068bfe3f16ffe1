"""Each named technique's settings, fitted to the comparison's budget, and what the budget hides.

A technique with a population or a random start would spend a small budget on that phase alone
(genetic's default population of 20 in a budget of 20 is random search). When ``compare`` builds
a tunesmith strategy from its name it sizes that phase to the budget:

- genetic, nsga2: ``population_size`` = budget // ``GENERATIONS`` (the default 20 at most,
  ``MIN_POPULATION`` at least), so the budget holds ``GENERATIONS`` generations;
- cmaes: ``population_size`` = budget // ``GENERATIONS`` (its default 4 + floor(3 ln d) at most,
  4 at least);
- tpe: ``n_startup_trials`` = ``STARTUP_SHARE`` of the budget (its default 10 at most, 2 at
  least);
- grid: the largest grid that fits in the budget.

A technique still *cannot show itself* when the budget holds fewer than ``MIN_GENERATIONS``
generations, or fewer than ``MIN_GUIDED`` evaluations after TPE's random start; its run then says
so in its note and its reading. A Strategy instance is used exactly as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tunesmith.space import Choice, Float, Space, grid_size
from tunesmith.strategies import STRATEGY_NAMES, Strategy, resolve

__all__ = [
    "Fitted",
    "fit_to_budget",
    "grid_points_for_budget",
    "load_strategy",
    "GENERATIONS",
    "MIN_GENERATIONS",
    "MIN_POPULATION",
    "STARTUP_SHARE",
    "MIN_GUIDED",
]

GENERATIONS = 5  # a population technique gets a population small enough for this many
MIN_GENERATIONS = 3  # fewer generations in the budget: it cannot show itself
MIN_POPULATION = 4  # the smallest population compare gives genetic, nsga2 and cmaes
STARTUP_SHARE = 0.25  # TPE's random start takes at most this share of the budget
MIN_GUIDED = 3  # fewer model-guided TPE evaluations: it cannot show itself


@dataclass(frozen=True)
class Fitted:
    """A technique's settings for one budget: constructor keywords, a note, and a caveat
    (empty unless the technique cannot show itself at this budget)."""

    settings: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    caveat: str = ""


def load_strategy(name: str) -> type[Strategy]:
    """The tunesmith strategy class named ``name``; ValueError naming the known ones.

    Args:
        name: A name from ``STRATEGY_NAMES`` (any case).

    Returns:
        The strategy's class.

    Raises:
        ValueError: ``name`` is not a known strategy.
    """
    key = name.lower()
    if key not in STRATEGY_NAMES:
        known = ", ".join(sorted(STRATEGY_NAMES))
        raise ValueError(f"Unknown strategy {name!r}; tunesmith knows {known}.")
    return type(resolve(key))


def grid_points_for_budget(space: Space, budget: int) -> int:
    """The largest ``n_points`` whose grid fits in ``budget`` (1 when even that does not).

    Args:
        space: The search space.
        budget: The most evaluations the grid may take.

    Returns:
        The ``n_points`` to give ``Grid``.
    """
    best = 1
    size = grid_size(space, 1)
    for m in range(2, budget + 1):
        grown = grid_size(space, m)
        if grown > budget:
            break
        if grown > size:
            best, size = m, grown
        elif not any(isinstance(d, Float) and d.step is None for d in space.values()):
            break  # nothing grows any more: every axis lists all its values
    return best


def _population(name: str, budget: int, default: int) -> Fitted:
    """A population sized for ``GENERATIONS`` generations, and the caveat when it cannot."""
    size = max(MIN_POPULATION, min(default, budget // GENERATIONS))
    generations = budget // size
    note = (
        f"population {size} (default {default}): {generations} generation"
        f"{'s' if generations != 1 else ''} in {budget} evaluations"
    )
    caveat = ""
    if generations < MIN_GENERATIONS:
        caveat = (
            f"{name} cannot show itself at this budget: {generations} generation"
            f"{'s' if generations != 1 else ''} of {size} (fewer than {MIN_GENERATIONS}), so "
            "its search is mostly random"
        )
    return Fitted({"population_size": size}, note, caveat)


def _tpe(budget: int) -> Fitted:
    startup = max(2, min(10, int(budget * STARTUP_SHARE)))
    guided = max(budget - startup, 0)
    note = f"{startup} random startup trials (default 10), {guided} model-guided"
    caveat = ""
    if guided < MIN_GUIDED:
        caveat = (
            f"tpe cannot show itself at this budget: {guided} model-guided evaluations after "
            f"{startup} random ones (fewer than {MIN_GUIDED})"
        )
    return Fitted({"n_startup_trials": startup}, note, caveat)


def fit_to_budget(name: str, space: Space, budget: int) -> Fitted:
    """The settings compare gives the strategy named ``name`` at ``budget`` (module docstring)."""
    key = name.lower()
    if key == "grid":
        m = grid_points_for_budget(space, budget)
        return Fitted({"n_points": m}, f"grid of {grid_size(space, m)} points ({m} per float)")
    if key in ("genetic", "nsga2"):
        return _population(key, budget, 20)
    if key == "cmaes":
        d = sum(not isinstance(dist, Choice) for dist in space.values())
        return _population(key, budget, 4 + math.floor(3 * math.log(max(d, 1))))
    if key == "tpe":
        return _tpe(budget)
    return Fitted()
