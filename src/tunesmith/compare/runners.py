"""Runners: the one protocol a technique implements to take part in a comparison.

A runner has a ``name`` and ``run(task)``. The task hands it the space, the budget, the seed
and two ways to call the objective: ``task.evaluate(params) -> loss`` for searches that work
on plain parameter dicts (they all minimize; a failed evaluation returns the worst loss seen
so far, finite, so every searcher accepts it), and ``task.timed(trial)`` for tunesmith studies,
which pass their own trials (``task.timed_batch`` for lists of trials when the comparison runs a
batched objective: ``compare.run(..., batch_size=N)``). All record every call: value, seconds
inside the objective and parameters. A runner that evaluates by other means records each
result with ``task.record``.
tunesmith's strategies are the built-in runner, :class:`StrategyRunner`; a runner may also say
it cannot run here with ``unavailable() -> str | None``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tunesmith.compare.budget import fit_to_budget, grid_points_for_budget, load_strategy
from tunesmith.compare.model import Evaluation
from tunesmith.execution.evaluate import INTERRUPTIONS, evaluate_batch
from tunesmith.execution.local import evaluate
from tunesmith.outcome import TrialOutcome
from tunesmith.ranking import loss
from tunesmith.space import Distribution
from tunesmith.storage import Storage
from tunesmith.strategies import Strategy
from tunesmith.study import create_study
from tunesmith.trial import FrozenTrial, Trial, TrialState

__all__ = [
    "Runner",
    "Task",
    "StrategyRunner",
    "as_runner",
    "load_strategy",
    "grid_points_for_budget",
    "evaluation_of",
    "outcome_at",
    "stored_evaluations",
    "SECONDS_ATTR",
    "WALL_ATTR",
]

SECONDS_ATTR = "compare_seconds"  # user attr: seconds inside the objective
WALL_ATTR = "compare_wall"  # user attr: seconds of the run spent on this trial


@runtime_checkable
class Runner(Protocol):
    """A technique that can take part in a comparison."""

    name: str

    def run(self, task: Task) -> None:
        """Spend up to ``task.budget`` evaluations through ``task.evaluate`` or ``task.timed``.

        Args:
            task: The run: objective, space, direction, budget and seed, recorded as it goes.
        """


@dataclass
class Task:
    """One run: a technique, a seed and a budget on the user's objective, recorded as it goes.

    Attributes:
        objective: The user's objective: takes a Trial (a list of trials when ``batch_size`` is
            set) and returns its value.
        space: The search space, by parameter name.
        direction: "minimize" or "maximize".
        budget: The most evaluations the run may spend.
        seed: The run's seed.
        storage: Where a tunesmith study of the run is stored; None for memory.
        study_name: The name of the run's study; empty for a generated one.
        evaluations: Every evaluation so far, in order.
        carried_wall: The wall time of earlier sessions of a resumed run, in seconds.
        note: The settings the technique was fitted with, in words (empty: none).
        caveat: Why the technique cannot show itself at this budget (empty: it can).
        batch_size: The most trials the objective takes in one list; None when it takes one
            trial.
        stop: Called before each evaluation; True stops the run. None: never.
        interrupted: Whether Ctrl-C, SIGTERM or ``stop`` ended an evaluation of this run.
    """

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
    caveat: str = ""  # why the technique cannot show itself at this budget (empty: it can)
    batch_size: int | None = None  # the objective takes a list of trials, this many at most
    stop: Callable[[], bool] | None = field(default=None, repr=False)  # True: stop the run
    interrupted: bool = False  # Ctrl-C, SIGTERM or ``stop`` ended an evaluation of this run
    _last_end: float = field(default_factory=time.perf_counter, repr=False)
    _worst: float = field(default=-math.inf, repr=False)

    @property
    def remaining(self) -> int:
        return max(self.budget - len(self.evaluations), 0)

    def start_clock(self) -> float:
        """Start the run's clock: the first evaluation's wall time counts from now.

        Returns:
            The start, in ``time.perf_counter`` seconds.
        """
        self._last_end = time.perf_counter()
        return self._last_end

    def _clock(self) -> tuple[float, float]:
        start = time.perf_counter()
        return start, self._last_end

    def _call(self, call: Callable[[Any], Any], trial: Any) -> Any:
        """``call(trial)``, unless the comparison is being stopped; an interruption (Ctrl-C,
        SIGTERM, ``stop``) marks the run interrupted and goes on up: it never counts."""
        if self.interrupted or (self.stop is not None and self.stop()):
            self.interrupted = True  # a runner that swallowed Ctrl-C evaluates no more
            raise KeyboardInterrupt("the comparison is being stopped")
        try:
            return call(trial)
        except INTERRUPTIONS:
            self.interrupted = True
            raise

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The loss at ``params`` (the value, negated when maximizing), recorded.

        A failed evaluation (an exception, NaN, inf, a non-number) is recorded as failed and
        returns the worst loss seen so far (1e12 before any), so every searcher can go on.

        Args:
            params: The parameters to evaluate, by name.

        Returns:
            The loss: the value (negated when maximizing), or the worst loss so far when the
            evaluation failed.

        Raises:
            KeyboardInterrupt: When the comparison is being stopped (Ctrl-C, SIGTERM, ``stop``);
                the run is marked interrupted and the evaluation not recorded.
        """
        params = dict(params)
        trial = Trial(len(self.evaluations), params, dict(self.space), seed=self.seed)
        start, before = self._clock()
        outcome = self._call(lambda t: outcome_at(self.objective, t, self.batch_size), trial)
        end = time.perf_counter()
        self._last_end = end
        ok = outcome.state is TrialState.COMPLETE and outcome.values is not None
        value = outcome.values[0] if ok else None  # type: ignore[index]
        error = None if ok else _reason(outcome.error, outcome.state)
        self.evaluations.append(Evaluation(value, end - start, params, end - before, error))
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
        error: str | None = None,
    ) -> None:
        """Record an evaluation a runner made itself (a search library that calls the model
        directly): its value in the objective's units, None if it failed (``error``: why).

        Args:
            params: The parameters evaluated, by name.
            value: The objective's value, in its own units (not a loss); None if it failed.
            seconds: Seconds spent inside the objective.
            wall: Seconds of the run spent on this evaluation; None if unknown.
            error: Why the evaluation failed; None to record a generic reason when ``value``
                is None.
        """
        if value is None and not error:
            error = "failed (the runner gave no reason)"
        evaluation = Evaluation(value, float(seconds), dict(params), wall, error)
        self.evaluations.append(evaluation)
        self._last_end = time.perf_counter()

    def timed(self, trial: Trial) -> Any:
        """Call the objective with a study's own trial; the times go into its user attrs.

        Seconds inside the objective go to the ``compare_seconds`` user attr, seconds of the
        run since the previous evaluation to ``compare_wall``, even when the objective raises.

        Args:
            trial: The study's trial.

        Returns:
            What the objective returned.

        Raises:
            KeyboardInterrupt: When the comparison is being stopped (the run is marked
                interrupted); an exception of the objective goes on up to the study.
        """
        start, before = self._clock()
        try:
            return self._call(self.objective, trial)
        finally:
            end = time.perf_counter()
            self._last_end = end
            trial.set_user_attr(SECONDS_ATTR, end - start)
            trial.set_user_attr(WALL_ATTR, end - before)

    def timed_batch(self, trials: list[Trial]) -> Any:
        """Call a batched objective with a study's own trials; each trial's times are its equal
        share of the call's.

        Args:
            trials: The study's trials, one call's worth.

        Returns:
            What the objective returned (one value per trial).

        Raises:
            KeyboardInterrupt: When the comparison is being stopped (the run is marked
                interrupted); an exception of the objective goes on up to the study.
        """
        start, before = self._clock()
        try:
            return self._call(self.objective, trials)
        finally:
            end = time.perf_counter()
            self._last_end = end
            for trial in trials:
                trial.set_user_attr(SECONDS_ATTR, (end - start) / len(trials))
                trial.set_user_attr(WALL_ATTR, (end - before) / len(trials))


def outcome_at(
    objective: Callable[..., Any], trial: Trial, batch_size: int | None = None
) -> TrialOutcome:
    """The objective's outcome at ``trial``, by the driver's own rule (``execution.evaluate``):
    an exception fails the evaluation; KeyboardInterrupt and SystemExit still stop the run.
    A batched objective (``batch_size`` set) is called with the list ``[trial]``."""
    if batch_size is not None:
        outcome = evaluate_batch(objective, [trial], 1, (Exception,))[0]
    else:  # (value, gradients): the value counts
        outcome = evaluate(objective, trial, 1, (Exception,))
    if outcome.reraise is not None:
        raise outcome.reraise
    return outcome


def evaluation_of(trial: FrozenTrial) -> Evaluation | None:
    """A stored trial as an evaluation; None for trials not finished."""
    if not trial.state.finished:
        return None
    value = trial.values[0] if trial.state is TrialState.COMPLETE and trial.values else None
    seconds = trial.user_attrs.get(SECONDS_ATTR, trial.duration or 0.0)
    wall = trial.user_attrs.get(WALL_ATTR, seconds)
    error = None if value is not None else _reason(trial.error, trial.state)
    return Evaluation(value, float(seconds), dict(trial.params), float(wall), error)


def _reason(error: str | None, state: TrialState) -> str:
    """Why an evaluation gave no value: its error, or its state when it has none."""
    return error or ("pruned" if state is TrialState.PRUNED else "no value recorded")


class StrategyRunner:
    """A tunesmith strategy run as a normal study, so a comparison can be resumed and reopened.

    A name gets settings fitted to the budget (``tunesmith.compare.budget``: the grid that fits,
    populations and TPE's random start sized to it); an instance runs as given.

    Args:
        strategy: A name ("grid", "tpe" ...) or a Strategy instance (copied for every run).
        name: The technique's name in the comparison; None for the strategy's own.
    """

    records_trials = True

    def __init__(self, strategy: Any, name: str | None = None):
        self.strategy = strategy
        default = strategy if isinstance(strategy, str) else getattr(strategy, "name", "")
        self.name = name or str(default).lower()

    def __repr__(self) -> str:
        return f"StrategyRunner({self.strategy!r})"

    def unavailable(self) -> str | None:
        """Why this strategy cannot run here, or None.

        Returns:
            The reason (a named strategy whose module or extra is missing); None when it can
            run, and always for an instance.
        """
        if not isinstance(self.strategy, str):
            return None
        try:
            load_strategy(self.strategy)
        except (ImportError, AttributeError) as exc:
            return f"strategy {self.strategy!r} is not available: {exc}"
        return None

    def make(self, task: Task) -> Any:
        """A fresh strategy for one run; a named one with settings fitted to the budget
        (``tunesmith.compare.budget``), which go into ``task.note`` and ``task.caveat``.

        Args:
            task: The run: its space and budget size a named strategy's settings.

        Returns:
            A Strategy: a deep copy of the instance, or a new one of the named strategy.
        """
        if not isinstance(self.strategy, str):
            return copy.deepcopy(self.strategy)
        cls = load_strategy(self.strategy)
        fitted = fit_to_budget(self.strategy, task.space, task.budget)
        task.note, task.caveat = fitted.note, fitted.caveat
        return cls(**fitted.settings)

    def run(self, task: Task) -> None:
        """Create (or resume) the run's study, its strategy stored so ``load_study`` rebuilds it.

        Args:
            task: The run; its evaluations are the study's finished trials.
        """
        study = create_study(
            name=task.study_name or None,
            storage=task.storage,
            direction=task.direction,
            strategy=self.make(task),
            space=task.space,
            seed=task.seed,
            load_if_exists=True,
        )
        before = stored_evaluations(study.trials)[: task.budget]
        task.carried_wall = sum(e.wall or 0.0 for e in before)
        if task.budget > len(before):
            left = task.budget - len(before)
            if task.batch_size is None:
                study.optimize(task.timed, n_trials=left, catch=(Exception,))
            else:
                batched = {"batch_size": task.batch_size, "catch": (Exception,)}
                study.optimize(task.timed_batch, n_trials=left, **batched)
        task.evaluations = stored_evaluations(study.trials)[: task.budget]


def stored_evaluations(trials: list[FrozenTrial]) -> list[Evaluation]:
    """The finished trials as evaluations, by trial number."""
    found = (evaluation_of(t) for t in sorted(trials, key=lambda t: t.number))
    return [e for e in found if e is not None]


def as_runner(item: Any) -> Any:
    """A runner from a strategy name, a Strategy instance, or an object with name and run()."""
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
