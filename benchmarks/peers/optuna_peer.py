"""Optuna's samplers as comparison runners: TPE, CMA-ES, NSGA-II, Random, Grid."""

from __future__ import annotations

import warnings
from typing import Any

from tunesmith.compare import Task, grid_points_for_budget
from tunesmith.space import Choice, Distribution, Float, Int

from ._space import missing

SAMPLERS = ("tpe", "cmaes", "nsga2", "random", "grid")


def _suggest(trial: Any, name: str, dist: Distribution) -> Any:
    if isinstance(dist, Choice):
        return trial.suggest_categorical(name, dist.options)
    if isinstance(dist, Int):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, Float)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


class OptunaRunner:
    """``optuna.create_study(sampler=...)`` with the run's seed, ``budget`` trials."""

    def __init__(self, sampler: str = "tpe"):
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}. Got {sampler!r} instead.")
        self.sampler = sampler
        self.name = f"optuna-{sampler}"

    def unavailable(self) -> str | None:
        return missing("optuna", "cmaes") if self.sampler == "cmaes" else missing("optuna")

    def _make_sampler(self, optuna: Any, task: Task) -> tuple[Any, int]:
        s, seed, budget = optuna.samplers, task.seed, task.budget
        if self.sampler == "grid":
            m = grid_points_for_budget(task.space, budget)
            grid = {k: d.grid(m) for k, d in task.space.items()}
            size = 1
            for values in grid.values():
                size *= len(values)
            return s.GridSampler(grid, seed=seed), min(size, budget)
        make = {
            "tpe": lambda: s.TPESampler(seed=seed),
            "cmaes": lambda: s.CmaEsSampler(seed=seed, warn_independent_sampling=False),
            "nsga2": lambda: s.NSGAIISampler(seed=seed),
            "random": lambda: s.RandomSampler(seed=seed),
        }[self.sampler]
        return make(), budget

    def run(self, task: Task) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler, n_trials = self._make_sampler(optuna, task)
        study = optuna.create_study(sampler=sampler, direction="minimize")

        def objective(trial: Any) -> float:
            params = {k: _suggest(trial, k, d) for k, d in task.space.items()}
            return task.evaluate(params)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature and fallback notices
            study.optimize(objective, n_trials=n_trials)
