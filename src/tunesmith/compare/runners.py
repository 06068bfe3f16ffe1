"""Runners: the one protocol a technique implements to take part in a comparison.

A runner has a ``name`` and ``run(task)``. The task hands it the space, the budget, the seed
and two ways to call the objective: ``task.evaluate(params) -> loss`` for searches that work
on plain parameter dicts (they all minimize; a failed evaluation returns the worst loss seen
so far, finite, so every searcher accepts it), and ``task.timed(trial)`` for tunesmith studies,
which pass their own trials. Both record every call: value, seconds inside the objective and
parameters. A runner that evaluates by other means records each result with ``task.record``.
tunesmith's strategies are the built-in runner, :class:`StrategyRunner`; a runner may also say
it cannot run here with ``unavailable() -> str | None``.
"""

from __future__ import annotations

import copy
import importlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tunesmith.compare.model import Evaluation, loss
from tunesmith.outcome import check_values, split_gradient
from tunesmith.space import Distribution, Float, Space
from tunesmith.storage import Storage
from tunesmith.trial import FrozenTrial, Trial, TrialState

__all__ = [
    "Runner",
    "Task",
    "StrategyRunner",
    "as_runner",
    "grid_points_for_budget",
    "grid_size",
    "SECONDS_ATTR",
    "WALL_ATTR",
]

SECONDS_ATTR = "compare_seconds"  # user attr: seconds inside the objective
WALL_ATTR = "compare_wall"  # user attr: seconds of the run spent on this trial

# Strategies written alongside compare, loaded by module path until the registry lists them.
_BY_PATH: dict[str, tuple[str, str]] = {
    "tpe": ("tunesmith.strategies.tpe", "TPE"),
    "cmaes": ("tunesmith.strategies.cmaes", "CMAES"),
    "gradient": ("tunesmith.strategies.gradient", "GradientDescent"),
    "nsga2": ("tunesmith.strategies.nsga2", "NSGA2"),
}


@runtime_checkable
class Runner(Protocol):
    """A technique that can take part in a comparison."""

    name: str

    def run(self, task: Task) -> None:
        """Spend up to ``task.budget`` evaluations through ``task.evaluate`` or ``task.timed``."""


@dataclass
class Task:
    """One run: a technique, a seed and a budget on the user's objective, recorded as it goes."""

    objective: Callable[[Trial], Any]
    space: dict[str, Distribution]
    direction: str
    budget: int
    seed: int
    storage: Storage | None = None
    study_name: str = ""
    evaluations: list[Evaluation] = field(default_factory=list)
    carried_wall: float = 0.0  # wall time of earlier sessions of a resumed run
    note: str = ""
    _last_end: float = field(default_factory=time.perf_counter, repr=False)
    _worst: float = field(default=-math.inf, repr=False)

    @property
    def remaining(self) -> int:
        return max(self.budget - len(self.evaluations), 0)

    def _clock(self) -> tuple[float, float]:
        start = time.perf_counter()
        return start, self._last_end

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The loss at ``params`` (the value, negated when maximizing), recorded.

        A failed evaluation (an exception, NaN, inf, a non-number) is recorded as failed and
        returns the worst loss seen so far (1e12 before any), so every searcher can go on.
        """
        params = dict(params)
        trial = Trial(len(self.evaluations), params, dict(self.space), seed=self.seed)
        start, before = self._clock()
        try:
            raw = self.objective(trial)
        except Exception:  # noqa: BLE001 - a failed evaluation, recorded as such
            raw = None
        end = time.perf_counter()
        self._last_end = end
        try:
            raw = split_gradient(trial, raw, 1)  # (value, gradients): peers use the value
        except (TypeError, ValueError):
            raw = None
        values, reason = check_values(raw, 1) if raw is not None else (None, "failed")
        value = None if reason else values[0]  # type: ignore[index]
        self.evaluations.append(Evaluation(value, end - start, params, end - before))
        if value is None:
            return self._worst if math.isfinite(self._worst) else 1e12
        result = loss(value, self.direction)
        self._worst = max(self._worst, result)
        return result

    def record(
        self,
        params: Mapping[str, Any],
        value: float | None,
        seconds: float,
        wall: float | None = None,
    ) -> None:
        """Record an evaluation a runner made itself (a search library that calls the model
        directly): its value in the objective's units, None if it failed."""
        self.evaluations.append(Evaluation(value, float(seconds), dict(params), wall))
        self._last_end = time.perf_counter()

    def timed(self, trial: Trial) -> Any:
        """Call the objective with a study's own trial; the times go into its user attrs."""
        start, before = self._clock()
        try:
            return self.objective(trial)
        finally:
            end = time.perf_counter()
            self._last_end = end
            trial.set_user_attr(SECONDS_ATTR, end - start)
            trial.set_user_attr(WALL_ATTR, end - before)


def evaluation_of(trial: FrozenTrial) -> Evaluation | None:
    """A stored trial as an evaluation; None for trials not finished."""
    if not trial.state.finished:
        return None
    value = trial.values[0] if trial.state is TrialState.COMPLETE and trial.values else None
    seconds = trial.user_attrs.get(SECONDS_ATTR, trial.duration or 0.0)
    wall = trial.user_attrs.get(WALL_ATTR, seconds)
    return Evaluation(value, float(seconds), dict(trial.params), float(wall))


def grid_size(space: Space, n_points: int) -> int:
    """Points of ``Grid(n_points)`` over ``space``."""
    return math.prod(len(dist.grid(n_points)) for dist in space.values())


def grid_points_for_budget(space: Space, budget: int) -> int:
    """The largest ``n_points`` whose grid fits in ``budget`` (1 when even that does not)."""
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


def load_strategy(name: str) -> Any:
    """The strategy class named ``name``: the registry first, then the known module paths."""
    from tunesmith import strategies

    key = name.lower()
    try:
        return type(strategies.resolve(key))
    except ValueError:
        if key not in _BY_PATH:
            known = sorted({*strategies.STRATEGY_NAMES, *_BY_PATH})
            raise ValueError(
                f"Unknown strategy {name!r}; tunesmith knows {', '.join(known)}."
            ) from None
    module, cls = _BY_PATH[key]
    return getattr(importlib.import_module(module), cls)


class StrategyRunner:
    """A tunesmith strategy run as a normal study, so a comparison can be resumed and reopened.

    ``strategy`` is a name ("grid", "tpe" ...) or a Strategy instance (copied for every run).
    The grid gets ``Grid(n_points=m)`` with the largest m whose grid fits in the budget.
    """

    records_trials = True

    def __init__(self, strategy: Any, name: str | None = None):
        self.strategy = strategy
        default = strategy if isinstance(strategy, str) else getattr(strategy, "name", "")
        self.name = name or str(default).lower()

    def __repr__(self) -> str:
        return f"StrategyRunner({self.strategy!r})"

    def unavailable(self) -> str | None:
        """Why this strategy cannot run here, or None."""
        if not isinstance(self.strategy, str):
            return None
        try:
            load_strategy(self.strategy)
        except (ImportError, AttributeError) as exc:
            return f"strategy {self.strategy!r} is not available: {exc}"
        return None

    def make(self, task: Task) -> Any:
        """A fresh strategy for one run."""
        if not isinstance(self.strategy, str):
            return copy.deepcopy(self.strategy)
        cls = load_strategy(self.strategy)
        if self.strategy.lower() == "grid":
            m = grid_points_for_budget(task.space, task.budget)
            task.note = f"grid of {grid_size(task.space, m)} points ({m} per float)"
            return cls(n_points=m)
        return cls()

    def run(self, task: Task) -> None:
        import tunesmith as ts

        study = ts.create_study(
            name=task.study_name or None,
            storage=task.storage,
            direction=task.direction,
            strategy=self.make(task),
            space=task.space,
            seed=task.seed,
            load_if_exists=True,
        )
        before = _evaluations(study.trials)[: task.budget]
        task.carried_wall = sum(e.wall or 0.0 for e in before)
        if task.budget > len(before):
            study.optimize(task.timed, n_trials=task.budget - len(before), catch=(Exception,))
        task.evaluations = _evaluations(study.trials)[: task.budget]


def _evaluations(trials: list[FrozenTrial]) -> list[Evaluation]:
    found = (evaluation_of(t) for t in sorted(trials, key=lambda t: t.number))
    return [e for e in found if e is not None]


def as_runner(item: Any) -> Any:
    """A runner from a strategy name, a Strategy instance, or an object with name and run()."""
    from tunesmith.strategies import Strategy

    if isinstance(item, str):
        try:
            load_strategy(item)  # unknown names fail here
        except (ImportError, AttributeError):
            pass  # a known name whose module is missing: skipped with its reason later
        return StrategyRunner(item)
    if isinstance(item, Strategy):
        return StrategyRunner(item)
    if isinstance(item, type) and issubclass(item, Strategy):
        return StrategyRunner(item())
    if isinstance(getattr(item, "name", None), str) and callable(getattr(item, "run", None)):
        return item
    raise ValueError(
        "The 'strategies' parameter of compare.run must hold strategy names, Strategy "
        f"instances or runners (objects with a name and run(task)). Got {item!r} instead."
    )
