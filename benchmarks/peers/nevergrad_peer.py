"""Nevergrad's NGOpt (its algorithm selector) as a comparison runner."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tunesmith.compare import Task
from tunesmith.space import Choice, Distribution, Int

from ._space import missing, snap_all


def _parameter(ng: Any, dist: Distribution) -> Any:
    if isinstance(dist, Choice):
        return ng.p.Choice(list(dist.options))
    if dist.log:
        param = ng.p.Log(lower=float(dist.low), upper=float(dist.high))
    else:
        param = ng.p.Scalar(lower=float(dist.low), upper=float(dist.high))
    return param.set_integer_casting() if isinstance(dist, Int) else param


def _scalar(value: Any) -> float:
    """float() as NumPy 1 had it: a one-element array converts to its element."""
    return float(np.asarray(value).reshape(-1)[0]) if np.size(value) == 1 else float(value)


def numpy2_compatible(ng: Any) -> None:
    """Let NGOpt's metamodel run under NumPy 2, which refuses float() of a one-element array.

    With a budget of a few hundred in low dimension NGOpt picks a metamodel-assisted optimizer
    whose surrogate search calls float() on a one-element prediction; under NumPy 2 that raises
    TypeError after about a dozen asks. The module's own float() is given NumPy 1's
    conversion, so NGOpt runs as its authors wrote it; nothing else is changed.
    """
    metamodel = ng.optimization.metamodel
    if getattr(metamodel, "float", None) is not _scalar:
        metamodel.float = _scalar


class NevergradRunner:
    """``ng.optimizers.NGOpt`` (or another registered optimizer) for ``budget`` asks."""

    def __init__(self, optimizer: str = "NGOpt"):
        self.optimizer = optimizer
        self.name = f"nevergrad-{optimizer.lower()}"

    def unavailable(self) -> str | None:
        return missing("nevergrad")

    def run(self, task: Task) -> None:
        import nevergrad as ng

        numpy2_compatible(ng)
        param = ng.p.Dict(**{k: _parameter(ng, d) for k, d in task.space.items()})
        param.random_state = np.random.RandomState(task.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nevergrad's inefficiency and bound notices
            opt = ng.optimizers.registry[self.optimizer](
                parametrization=param, budget=task.budget, num_workers=1
            )
            for _ in range(task.budget):
                candidate = opt.ask()
                opt.tell(candidate, task.evaluate(snap_all(task.space, candidate.value)))
