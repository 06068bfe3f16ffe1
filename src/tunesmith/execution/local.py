"""Running objectives: one trial's evaluation, and the driver loop over threads or processes.

The driver (the calling thread) is the only one that asks and tells; workers only evaluate, so
the storage sees one writer per driver and the strategy sees a consistent history.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tunesmith.execution.isolated import (
    DaemonThreadExecutor,
    IsolatedProcessExecutor,
    WorkerDied,
)
from tunesmith.outcome import TrialOutcome, describe, failed, outcome_of, pruned
from tunesmith.trial import Trial, TrialPruned, TrialState

__all__ = ["evaluate", "evaluate_batch", "Driver", "executor_factory", "resolve_jobs"]

# ask(n, wait, deadline) -> up to n claimed trials; [] when exhausted (or waiting and wait).
AskFn = Callable[[int, bool, "float | None"], list[Trial]]
# tell(outcome): record it (and whatever follows a told trial: retries, progress, callbacks).
TellFn = Callable[[TrialOutcome], Any]


def evaluate(
    objective: Callable[[Trial], Any],
    trial: Trial,
    n_objectives: int,
    catch: tuple[type[BaseException], ...],
) -> TrialOutcome:
    """Run ``objective(trial)``; any failure becomes a FAIL outcome with its reason."""
    try:
        raw = objective(trial)
    except TrialPruned:
        return pruned(trial, n_objectives)
    except BaseException as exc:  # noqa: BLE001 - every failure is recorded, then maybe re-raised
        return failed(trial, exc, catch)
    return outcome_of(trial, raw, n_objectives)


def evaluate_batch(
    objective: Callable[[list[Trial]], Any],
    trials: list[Trial],
    n_objectives: int,
    catch: tuple[type[BaseException], ...],
) -> list[TrialOutcome]:
    """Run a batched objective ``objective(trials) -> list of values``, one outcome per trial."""
    try:
        raw = objective(trials)
        raw = list(raw)
        if len(raw) != len(trials):
            raise ValueError(
                f"The batched objective returned {len(raw)} values for {len(trials)} trials."
            )
    except BaseException as exc:  # noqa: BLE001
        return [failed(t, exc, catch) for t in trials]
    out = []
    for trial, value in zip(trials, raw):
        if isinstance(value, TrialPruned):
            out.append(pruned(trial, n_objectives))
        elif isinstance(value, BaseException):
            out.append(failed(trial, value, catch))
        else:
            out.append(outcome_of(trial, value, n_objectives))
    return out


def resolve_jobs(n_jobs: int) -> int:
    """``n_jobs``, with -1 meaning every core."""
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


class Driver:
    """The ask -> evaluate -> tell loop for one ``optimize`` call, over two callables.

    ``ask`` and ``tell`` are the study's (see ``AskFn`` and ``TellFn``); the driver knows
    nothing else of it, so it can be tested and reused on its own.
    """

    def __init__(
        self,
        ask: AskFn,
        tell: TellFn,
        n_objectives: int,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
    ):
        self.ask = ask
        self.tell = tell
        self.n_objectives = n_objectives
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.done = 0
        self.asked = 0

    def _budget(self) -> int | None:
        """How many more trials may be asked (None: unlimited); 0 when out of time."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return 0
        return None if self.n_trials is None else self.n_trials - self.asked

    def _tell(self, outcome: TrialOutcome) -> None:
        self.tell(outcome)
        self.done += 1
        if outcome.reraise is not None:
            raise outcome.reraise

    def run_serial(self, objective: Callable[[Trial], Any], catch: tuple) -> None:
        n_obj = self.n_objectives
        while self._budget() != 0:
            trials = self.ask(1, False, None)
            if not trials:
                return
            self.asked += 1
            self._tell(evaluate(objective, trials[0], n_obj, catch))

    def run_batched(
        self,
        objective: Callable[[list[Trial]], Any],
        batch_size: int,
        catch: tuple,
        new_executor: Callable[[], cf.Executor] | None = None,
    ) -> None:
        n_obj = self.n_objectives
        executor = new_executor() if new_executor is not None else None
        try:
            while (budget := self._budget()) != 0:
                size = batch_size if budget is None else min(batch_size, budget)
                trials = self.ask(size, False, self.deadline)
                if not trials:
                    return
                self.asked += len(trials)
                if executor is None:
                    outcomes = evaluate_batch(objective, trials, n_obj, catch)
                else:
                    outcomes = self._remote_batch(executor, objective, trials, n_obj, catch)
                pending = None
                for outcome in outcomes:
                    try:
                        self._tell(outcome)
                    except BaseException as exc:  # noqa: BLE001 - tell every trial, then raise
                        pending = pending or exc
                if pending is not None:
                    raise pending
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _remote_batch(
        executor: cf.Executor, objective: Callable, trials: list[Trial], n_obj: int, catch: tuple
    ) -> list[TrialOutcome]:
        """Evaluate one batch as one task on ``executor`` (a Ray task on a GPU, say)."""
        future = executor.submit(evaluate_batch, objective, trials, n_obj, catch)
        try:
            return future.result()
        except (BrokenProcessPool, WorkerDied) as exc:
            reason = f"Worker process died: {describe(exc)}"
            return [TrialOutcome(t, TrialState.FAIL, None, reason, retry=True) for t in trials]
        except BaseException as exc:  # noqa: BLE001
            return [failed(t, exc, (Exception,)) for t in trials]

    def run_pool(
        self,
        objective: Callable[[Trial], Any],
        new_executor: Callable[[], cf.Executor],
        n_jobs: int,
        catch: tuple,
        trial_timeout: float | None = None,
    ) -> None:
        n_obj = self.n_objectives
        executor = new_executor()
        in_flight: dict[cf.Future, tuple[Trial, float | None]] = {}
        error: BaseException | None = None
        try:
            while True:
                while error is None and len(in_flight) < n_jobs and self._budget() != 0:
                    trials = self.ask(1, bool(in_flight), self.deadline)
                    if not trials:
                        break
                    self.asked += 1
                    try:
                        future = executor.submit(evaluate, objective, trials[0], n_obj, catch)
                    except BrokenProcessPool:  # a worker died since the last check: new pool
                        executor.shutdown(wait=False, cancel_futures=True)
                        executor = new_executor()
                        future = executor.submit(evaluate, objective, trials[0], n_obj, catch)
                    ends = None if trial_timeout is None else time.monotonic() + trial_timeout
                    in_flight[future] = (trials[0], ends)
                if not in_flight:
                    return
                finished, _ = cf.wait(
                    in_flight, timeout=self._wait_time(in_flight), return_when=cf.FIRST_COMPLETED
                )
                outcomes = [self._collect(f, in_flight.pop(f)[0]) for f in finished]
                outcomes += self._expire(in_flight, executor, trial_timeout)
                if any(o.retry for o in outcomes) and isinstance(executor, cf.ProcessPoolExecutor):
                    executor.shutdown(wait=False, cancel_futures=True)  # a dead worker broke it
                    executor = new_executor()
                for outcome in outcomes:
                    try:
                        self._tell(outcome)
                    except BaseException as exc:  # noqa: BLE001 - tell the rest, then raise
                        error = error or exc
                if error is not None and not in_flight:
                    raise error
        finally:
            for future in in_flight:
                future.cancel()
                getattr(executor, "kill", lambda f: None)(future)
            executor.shutdown(wait=False, cancel_futures=True)

    def _wait_time(self, in_flight: dict) -> float | None:
        ends = [end for _, end in in_flight.values() if end is not None]
        if self.deadline is not None:
            ends.append(self.deadline)
        return None if not ends else max(0.0, min(ends) - time.monotonic())

    def _collect(self, future: cf.Future, trial: Trial) -> TrialOutcome:
        try:
            return future.result()
        except (BrokenProcessPool, WorkerDied) as exc:
            # The process running the trial died (killed, out of memory): retry if allowed.
            return TrialOutcome(
                trial, TrialState.FAIL, None, f"Worker process died: {describe(exc)}", retry=True
            )
        except BaseException as exc:  # noqa: BLE001 - the trial could not even be shipped
            return failed(trial, exc, (Exception,))

    def _expire(
        self, in_flight: dict, executor: cf.Executor, trial_timeout: float | None
    ) -> list[TrialOutcome]:
        """Fail (and kill, where the executor can) trials that overran ``trial_timeout``."""
        if trial_timeout is None:
            return []
        now, out = time.monotonic(), []
        for future, (trial, ends) in list(in_flight.items()):
            if ends is not None and now >= ends and not future.done():
                getattr(executor, "kill", lambda f: None)(future)
                del in_flight[future]
                out.append(
                    TrialOutcome(
                        trial,
                        TrialState.FAIL,
                        None,
                        f"Timed out after {trial_timeout:g} s (trial_timeout).",
                    )
                )
        return out


def executor_factory(
    kind: Any, n_jobs: int, trial_timeout: float | None
) -> Callable[[], cf.Executor]:
    """A maker of executors for ``kind``: "thread", "process", "ray", or an Executor."""
    if isinstance(kind, cf.Executor):
        return lambda: _Borrowed(kind)
    if kind == "ray" or type(kind).__name__ == "RayExecutor":
        from tunesmith.execution.ray import as_executor

        return lambda: as_executor(kind, n_jobs)
    if kind in (None, "thread"):
        if trial_timeout is not None:
            return DaemonThreadExecutor
        return lambda: cf.ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="tunesmith")
    if kind == "process":
        if trial_timeout is not None:
            return lambda: IsolatedProcessExecutor(n_jobs)
        return lambda: cf.ProcessPoolExecutor(max_workers=n_jobs)
    raise ValueError(
        "The 'executor' parameter of optimize must be 'thread', 'process', 'ray', "
        f"a RayExecutor or a concurrent.futures.Executor. Got {kind!r} instead."
    )


class _Borrowed(cf.Executor):
    """A user's executor: used, never shut down by tunesmith."""

    def __init__(self, inner: cf.Executor):
        self._inner = inner

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None
