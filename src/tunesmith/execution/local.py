"""Running objectives: one trial's evaluation, and the driver loop over threads or processes.

The driver (the calling thread) is the only one that asks and tells; workers only evaluate, so
the storage sees one writer per driver and the strategy sees a consistent history.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tunesmith.execution.evaluate import INTERRUPT_GRACE, INTERRUPTIONS, evaluate, evaluate_batch
from tunesmith.execution.executors import executor_factory, resolve_jobs, stop_workers
from tunesmith.execution.isolated import WorkerDied
from tunesmith.outcome import TrialOutcome, describe, failed
from tunesmith.trial import Trial, TrialState

__all__ = ["evaluate", "evaluate_batch", "Driver", "executor_factory", "resolve_jobs"]

# The longest the driver blocks waiting for workers: a signal that reached another thread is
# handled when the main thread next runs Python code, so Ctrl-C takes effect within this.
SIGNAL_CHECK = 0.5

# ask(n, wait, deadline) -> up to n claimed trials; [] when exhausted (or waiting and wait).
AskFn = Callable[[int, bool, "float | None"], list[Trial]]
# tell(outcome): record it (and whatever follows a told trial: retries, progress, callbacks).
TellFn = Callable[[TrialOutcome], Any]


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
        except INTERRUPTIONS:
            raise
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
        """Keep ``n_jobs`` trials in flight. On Ctrl-C or SIGTERM: ask no more, give the running
        trials ``INTERRUPT_GRACE`` seconds to finish (told as usual), stop the rest (left to
        the caller to put back) and re-raise; a second Ctrl-C cuts the grace short."""
        self._executor = new_executor()
        in_flight: dict[cf.Future, tuple[Trial, float]] = {}  # -> (trial, when submitted)
        try:
            self._pool_loop(objective, new_executor, n_jobs, catch, trial_timeout, in_flight)
        except INTERRUPTIONS:
            self._finish_some(in_flight)
            stop_workers(self._executor)
            raise
        finally:
            for future in in_flight:
                future.cancel()
                getattr(self._executor, "kill", lambda f: None)(future)
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _pool_loop(
        self,
        objective: Callable[[Trial], Any],
        new_executor: Callable[[], cf.Executor],
        n_jobs: int,
        catch: tuple,
        trial_timeout: float | None,
        in_flight: dict[cf.Future, tuple[Trial, float]],
    ) -> None:
        """Long because the ask, wait and tell phases share the in-flight table and the
        first error, which is raised once every trial in flight has been told."""
        n_obj = self.n_objectives
        error: BaseException | None = None
        while True:
            while error is None and len(in_flight) < n_jobs and self._budget() != 0:
                trials = self.ask(1, bool(in_flight), self.deadline)
                if not trials:
                    break
                self.asked += 1
                future = self._submit(objective, trials[0], n_obj, catch, new_executor)
                in_flight[future] = (trials[0], time.monotonic())
            if not in_flight:
                return
            finished, _ = cf.wait(
                in_flight,
                timeout=self._wait_time(in_flight, trial_timeout),
                return_when=cf.FIRST_COMPLETED,
            )
            # A finished trial stays in the in-flight table until its tell begins, so an
            # interruption before that still tells it (see _finish_some), and never twice.
            outcomes = [(f, self._collect(f, in_flight[f][0])) for f in finished]
            outcomes += [(None, o) for o in self._expire(in_flight, self._executor, trial_timeout)]
            pool = isinstance(self._executor, cf.ProcessPoolExecutor)
            if pool and any(o.retry for _, o in outcomes):
                self._executor.shutdown(wait=False, cancel_futures=True)  # a dead worker broke it
                self._executor = new_executor()
            for future, outcome in outcomes:
                in_flight.pop(future, None)  # type: ignore[arg-type]
                try:
                    self._tell(outcome)
                except INTERRUPTIONS:
                    raise
                except BaseException as exc:  # noqa: BLE001 - tell the rest, then raise
                    error = error or exc
            if error is not None and not in_flight:
                raise error

    def _submit(
        self,
        objective: Callable[[Trial], Any],
        trial: Trial,
        n_obj: int,
        catch: tuple,
        new_executor: Callable[[], cf.Executor],
    ) -> cf.Future:
        try:
            return self._executor.submit(evaluate, objective, trial, n_obj, catch)
        except BrokenProcessPool:  # a worker died since the last check: a new pool
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = new_executor()
            return self._executor.submit(evaluate, objective, trial, n_obj, catch)

    def _finish_some(self, in_flight: dict[cf.Future, tuple[Trial, float]]) -> None:
        """After an interruption: tell the trials that finish within the grace period."""
        ends = time.monotonic() + INTERRUPT_GRACE
        try:
            while in_flight and (left := ends - time.monotonic()) > 0:
                wait = min(left, SIGNAL_CHECK)
                finished, _ = cf.wait(in_flight, timeout=wait, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    trial = in_flight.pop(future)[0]
                    try:
                        outcome = self._collect(future, trial)
                    except INTERRUPTIONS:
                        continue  # interrupted inside its worker: put back with the rest
                    if outcome.retry:
                        continue  # its worker died with the run: put back, not failed
                    self.tell(outcome)
                    self.done += 1
        except INTERRUPTIONS:
            return  # a second Ctrl-C: stop now; the caller puts the rest back

    def _wait_time(self, in_flight: dict, trial_timeout: float | None) -> float:
        """Until the next trial timeout or the deadline, and never longer than SIGNAL_CHECK."""
        ends = [_trial_end(f, submitted, trial_timeout) for f, (_, submitted) in in_flight.items()]
        ends = [end for end in ends if end is not None]
        if self.deadline is not None:
            ends.append(self.deadline)
        return min([SIGNAL_CHECK] + [max(0.0, end - time.monotonic()) for end in ends])

    def _collect(self, future: cf.Future, trial: Trial) -> TrialOutcome:
        try:
            return future.result()
        except INTERRUPTIONS:
            raise
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
        for future, (trial, submitted) in list(in_flight.items()):
            ends = _trial_end(future, submitted, trial_timeout)
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


def _trial_end(future: cf.Future, submitted: float, timeout: float | None) -> float | None:
    """When a trial's timeout runs out: from its start where the executor reports one (a
    process of its own: ``started``, None while it is still starting), else from its submit."""
    if timeout is None:
        return None
    if not hasattr(future, "started"):
        return submitted + timeout
    return None if future.started is None else future.started + timeout
