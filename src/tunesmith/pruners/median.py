"""Median stopping: stop a trial doing worse than the typical completed trial at its step."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tunesmith.pruners.base import Pruner, single_direction
from tunesmith.ranking import loss
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import Integer, check_params

__all__ = ["Median"]


class Median(Pruner):
    """Median stopping rule (Golovin et al. 2017, "Google Vizier", section 3.2.2): prune when the
    trial's best value so far is worse than the median of the completed trials' values at the
    trial's latest step.

    Nothing is pruned before ``n_startup_trials`` trials have completed, at steps below
    ``n_warmup_steps``, or unless the latest report is the trial's first one in its interval of
    ``interval_steps`` steps (counted from ``n_warmup_steps``). A trial whose values so far are
    all NaN is pruned.

    Args:
        n_startup_trials: Completed trials needed before anything is pruned.
        n_warmup_steps: Steps below this are never pruned.
        interval_steps: Steps between checks, counted from ``n_warmup_steps``.

    Examples:
        >>> import tunesmith as ts
        >>> from tunesmith.pruners import Median
        >>> study = ts.create_study(space={"x": ts.Float(0, 1)}, pruner=Median(), seed=0)
    """

    _parameters = {
        "n_startup_trials": Integer(0),
        "n_warmup_steps": Integer(0),
        "interval_steps": Integer(1),
    }

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1):
        check_params("Median", self._parameters, locals())
        self.n_startup_trials = int(n_startup_trials)
        self.n_warmup_steps = int(n_warmup_steps)
        self.interval_steps = int(interval_steps)

    def prune(
        self, trial: FrozenTrial, history: Sequence[FrozenTrial], directions: Sequence[str]
    ) -> bool:
        direction = single_direction("Median", directions)
        step = trial.last_step
        if step is None or step < self.n_warmup_steps or not self._checkpoint(trial, step):
            return False
        done = [t for t in history if t.state is TrialState.COMPLETE and t.number != trial.number]
        if not done or len(done) < self.n_startup_trials:
            return False
        best = min(loss(v, direction) for v in trial.intermediate.values())
        if math.isinf(best) and best > 0:
            return True
        others = [loss(t.intermediate[step], direction) for t in done if step in t.intermediate]
        others = [v for v in others if not math.isinf(v)]
        return bool(others) and best > float(np.median(others))

    def _checkpoint(self, trial: FrozenTrial, step: int) -> bool:
        """Whether ``step`` is the trial's first report in its interval of checks."""
        start = self.n_warmup_steps
        interval_start = start + (step - start) // self.interval_steps * self.interval_steps
        previous = max((s for s in trial.intermediate if s < step), default=-1)
        return previous < interval_start
