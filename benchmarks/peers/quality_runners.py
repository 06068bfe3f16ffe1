"""Hyperopt TPE, Nevergrad NGOpt and SMAC3 as runners of benchmarks/quality.py.

Each takes a tunesmith space, an objective to minimize, a seed and a budget, and returns the
trials' parameters and values in order, as quality.py's other runners do. The space goes over
as it is: Int as integers, log where the space says log, Choice as categories; every proposal
is snapped into the tunesmith space before it is evaluated.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tunesmith.space import Choice, Distribution, Float, Int

from ._space import snap_all
from .hyperopt_peer import _expression
from .nevergrad_peer import _parameter, numpy2_compatible

Space = dict[str, Distribution]
Objective = Callable[[dict[str, Any]], float]
History = tuple[list[dict[str, Any]], list[float]]


def _recorder(space: Space, objective: Objective) -> tuple[Objective, History]:
    """An objective that snaps its input into ``space`` and records each trial in order."""
    params: list[dict[str, Any]] = []
    values: list[float] = []

    def evaluate(raw: dict[str, Any]) -> float:
        snapped = snap_all(space, raw)
        value = float(objective(snapped))
        params.append(snapped)
        values.append(value)
        return value

    return evaluate, (params, values)


def run_hyperopt(space: Space, objective: Objective, seed: int, budget: int) -> History:
    """Hyperopt's TPE (``fmin`` with ``tpe.suggest``), seeded by ``rstate``."""
    from hyperopt import Trials, fmin, hp, tpe

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    evaluate, history = _recorder(space, objective)
    fmin(
        evaluate,
        {k: _expression(hp, k, d) for k, d in space.items()},
        algo=tpe.suggest,
        max_evals=budget,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return history


def run_nevergrad(space: Space, objective: Objective, seed: int, budget: int) -> History:
    """Nevergrad's NGOpt (its algorithm selector), seeded through the parametrization."""
    import nevergrad as ng

    numpy2_compatible(ng)
    evaluate, history = _recorder(space, objective)
    param = ng.p.Dict(**{k: _parameter(ng, d) for k, d in space.items()})
    param.random_state = np.random.RandomState(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = ng.optimizers.NGOpt(parametrization=param, budget=budget, num_workers=1)
        for _ in range(budget):
            candidate = opt.ask()
            opt.tell(candidate, evaluate(candidate.value))
    return history


def _hyperparameter(cs: Any, name: str, dist: Distribution) -> Any:
    if isinstance(dist, Choice):
        return cs.CategoricalHyperparameter(name, list(dist.options))
    kind = (
        cs.UniformIntegerHyperparameter if isinstance(dist, Int) else cs.UniformFloatHyperparameter
    )
    assert isinstance(dist, (Int, Float))
    return kind(name, dist.low, dist.high, log=dist.log)


def run_smac(space: Space, objective: Objective, seed: int, budget: int) -> History:
    """SMAC3's HyperparameterOptimizationFacade (random forest), through ask and tell."""
    import ConfigSpace as cs
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.main.exceptions import ConfigurationSpaceExhaustedException
    from smac.runhistory.dataclasses import TrialValue

    config_space = cs.ConfigurationSpace(seed=seed)
    config_space.add([_hyperparameter(cs, k, d) for k, d in space.items()])
    evaluate, history = _recorder(space, objective)
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(
            config_space, deterministic=True, n_trials=budget, seed=seed, output_directory=tmp
        )
        smac = HyperparameterOptimizationFacade(
            scenario, lambda config, seed=0: 0.0, overwrite=True, logging_level=40
        )
        for _ in range(budget):
            try:
                info = smac.ask()
            except ConfigurationSpaceExhaustedException:  # a finite space, every point tried
                break
            smac.tell(info, TrialValue(cost=evaluate(dict(info.config))))
    return history
