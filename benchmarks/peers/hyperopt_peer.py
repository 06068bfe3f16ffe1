"""Hyperopt's TPE (``hyperopt.fmin(algo=tpe.suggest)``) as a comparison runner."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tunesmith.compare import Task
from tunesmith.space import Choice, Distribution, Float, Int

from ._space import missing, snap_all


def _expression(hp: Any, name: str, dist: Distribution) -> Any:
    if isinstance(dist, Choice):
        return hp.choice(name, list(dist.options))
    if dist.log:
        low, high = (
            (dist.low - 0.5, dist.high + 0.5) if isinstance(dist, Int) else (dist.low, dist.high)
        )
        return hp.loguniform(name, math.log(low), math.log(high))
    if isinstance(dist, Int):
        return hp.quniform(name, dist.low, dist.high, dist.step)
    assert isinstance(dist, Float)
    if dist.step is not None:
        return hp.quniform(name, dist.low, dist.high, dist.step)
    return hp.uniform(name, dist.low, dist.high)


class HyperoptRunner:
    """``hyperopt.fmin`` with TPE, the run's seed and ``budget`` evaluations."""

    name = "hyperopt-tpe"

    def unavailable(self) -> str | None:
        return missing("hyperopt")

    def run(self, task: Task) -> None:
        import logging

        from hyperopt import Trials, fmin, hp, tpe

        logging.getLogger("hyperopt").setLevel(logging.WARNING)
        space = {k: _expression(hp, k, d) for k, d in task.space.items()}
        fmin(
            lambda params: task.evaluate(snap_all(task.space, params)),
            space,
            algo=tpe.suggest,
            max_evals=task.budget,
            trials=Trials(),
            rstate=np.random.default_rng(task.seed),
            show_progressbar=False,
        )
