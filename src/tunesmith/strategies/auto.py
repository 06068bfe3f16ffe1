"""strategy="auto": pick a technique from the space, the budget and the number of objectives."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Choice, Float, Space, grid_size
from tunesmith.strategies.base import Strategy
from tunesmith.trial import FrozenTrial

__all__ = ["Auto", "choose"]

logger = logging.getLogger("tunesmith")

CMAES_MIN_BUDGET = 100  # below this a covariance estimate has too few generations to learn
# A Gaussian process leads on continuous spaces at 50, 100 and 300 trials in 2, 5 and 10
# dimensions (BBOB, benchmarks/RESULTS.md, "Budget 300"), CMA-ES beyond what was measured:
GP_MAX_BUDGET = 300
GP_MAX_DIM = 10  # measured at 2, 5 and 10 dimensions; within its proposal-time target
# On all-discrete spaces (the HPO tables, 6-9 parameters) it leads TPE at 50 and 100 trials and
# is level with it at 300 ("Budget 300"), where TPE, 30 times cheaper, is kept:
GP_MAX_BUDGET_DISCRETE = 100


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def choose(space: Space, budget: int | None, n_objectives: int) -> tuple[str, str]:
    """The technique's name, and the reason in words."""
    if n_objectives > 1:
        return "nsga2", f"{n_objectives} objectives: NSGA-II searches the Pareto front"
    if not space:
        return "tpe", "define-by-run space: TPE models parameters as they appear"
    size = grid_size(space)
    if budget is not None and size <= budget:
        return "grid", f"the grid has {int(size)} points and the budget of {budget} covers it"
    continuous = all(isinstance(d, Float) and d.step is None for d in space.values())
    gp_fits = len(space) <= GP_MAX_DIM and _installed("scipy", "threadpoolctl")
    budget_fits = budget is not None and budget <= GP_MAX_BUDGET
    if continuous and budget_fits and gp_fits:
        return "gp", (
            f"{len(space)} continuous parameters and a budget of {budget}: a Gaussian process "
            "makes the most of each trial"
        )
    discrete = bool(np.isfinite(size))  # a finite grid: no Float without a step
    discrete_budget_fits = budget is not None and budget <= GP_MAX_BUDGET_DISCRETE
    if discrete and discrete_budget_fits and gp_fits:
        return "gp", (
            f"{len(space)} discrete parameters and a budget of {budget}: a Gaussian process "
            "over the losses' ranks makes the most of few trials"
        )
    large = budget is None or budget >= CMAES_MIN_BUDGET
    # CMA-ES for continuous spaces only: on ordinal ones (Int, stepped Float: the HPO tables)
    # TPE ranks well ahead of it (benchmarks/RESULTS.md, "auto")
    if continuous and len(space) >= 2 and large and importlib.util.find_spec("cmaes") is not None:
        return "cmaes", (
            f"{len(space)} continuous parameters and a budget of "
            f"{budget or 'unbounded'}: CMA-ES adapts to their correlations"
        )
    numeric = not any(isinstance(d, Choice) for d in space.values())
    kind = "mixed" if not numeric else ("small-budget continuous" if continuous else "discrete")
    return "tpe", f"a {kind} space: TPE handles it sample-efficiently"


class Auto(Strategy):
    """Delegates to the technique ``choose`` picks when the first proposal is asked for:
    grid when the grid is small and the budget covers it, NSGA2 for several objectives, GP for
    continuous or all-discrete spaces and small budgets, CMA-ES for continuous spaces with
    large budgets, TPE otherwise (the rules and their measurements: benchmarks/RESULTS.md,
    "auto"). ``chosen`` and ``reason`` say which and why (also logged on the "tunesmith" logger).

    Examples:
        >>> import tunesmith as ts
        >>> study = ts.create_study(space={"x": ts.Int(0, 3)}, strategy="auto", seed=0)
        >>> study.optimize(lambda trial: trial.params["x"], n_trials=10)
        >>> study.strategy.chosen
        'grid'
    """

    name = "auto"
    _parameters = {}  # no settings: the technique it picks runs with its defaults

    def __init__(self) -> None:
        self._budget: int | None = None
        self._inner: Strategy | None = None
        self._chosen: str | None = None
        self._reason: str | None = None

    @property
    def chosen(self) -> str | None:
        """The technique picked (None before the first proposal)."""
        return self._chosen

    @property
    def reason(self) -> str | None:
        return self._reason

    @property
    def learns_space(self) -> bool:  # type: ignore[override]
        return self._inner.learns_space if self._inner is not None else True

    def plan(self, n_trials: int | None) -> None:
        """The first budget picks the technique; every budget is passed on to it.

        Args:
            n_trials: The ``n_trials`` of the coming ``optimize`` call; None for no limit.
        """
        if self._inner is None:
            self._budget = n_trials
        else:
            self._inner.plan(n_trials)

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """The rules of the technique picked, or of the one ``choose`` would pick now.

        Args:
            space: The study's space.
            directions: The study's directions.

        Raises:
            ValueError: That technique cannot run on this space or these directions.
        """
        if self._inner is not None:
            self._inner.check(space, directions)
            return
        from tunesmith.strategies import resolve

        name, _ = choose(space, self._budget, len(directions))
        resolve(name).check(space, directions)

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        if self._inner is None:
            from tunesmith.strategies import resolve

            self._chosen, self._reason = choose(space, self._budget, len(self.directions))
            self._inner = resolve(self._chosen)
            self._inner.plan(self._budget)
            logger.info("strategy='auto' picked %s: %s", self._chosen, self._reason)
        self._inner.directions = self.directions
        return self._inner.propose(history, space, n, rng)
