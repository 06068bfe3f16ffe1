"""``Study.optimize``: checks its arguments, then runs the driver over the study's ask and tell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunesmith.execution.local import Driver, executor_factory, resolve_jobs
from tunesmith.execution.progress import make_progress
from tunesmith.outcome import TrialOutcome
from tunesmith.trial import FrozenTrial
from tunesmith.validation import check_optimize_args, positive_or_none

if TYPE_CHECKING:  # annotations only: study.py imports this module
    from tunesmith.study.study import Study


def optimize(
    study: Study,
    objective: Callable[..., Any],
    n_trials: int | None = None,
    timeout: float | None = None,
    n_jobs: int = 1,
    catch: tuple[type[BaseException], ...] = (Exception,),
    callbacks: Sequence[Callable[[Study, FrozenTrial], Any]] = (),
    progress: bool = False,
    batch_size: int | None = None,
    executor: Any = None,
    trial_timeout: float | None = None,
) -> None:
    """Run the loop until ``n_trials`` are done, ``timeout`` seconds pass, or the strategy
    is exhausted. An objective that raises an exception of a ``catch`` type, or returns a
    non-number, NaN, inf or the wrong number of values, fails only its own trial.

    ``executor`` is "thread" (default with ``n_jobs > 1``), "process", "ray", a
    ``RayExecutor`` or any ``concurrent.futures.Executor``. A trial running longer than
    ``trial_timeout`` seconds fails (its process is killed; a thread is abandoned).

    This is ``Study.optimize``; ``study`` is the study it runs.
    """
    check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size)
    positive_or_none("optimize", "trial_timeout", trial_timeout)
    n_jobs = resolve_jobs(n_jobs)
    catch = tuple(catch)
    study.strategy.plan(n_trials)
    with make_progress(progress, n_trials, study.study_name) as bar:

        def tell(outcome: TrialOutcome) -> None:
            frozen = study._record(outcome)
            bar.advance(study._best_text)
            for callback in callbacks:
                callback(study, frozen)

        n_objectives = len(study.directions)
        driver = Driver(study._ask_for_run, tell, n_objectives, n_trials=n_trials, timeout=timeout)
        if batch_size is not None:
            make = None if executor is None else executor_factory(executor, 1, None)
            driver.run_batched(objective, batch_size, catch, make)
        elif n_jobs == 1 and executor is None and trial_timeout is None:
            driver.run_serial(objective, catch)
        else:
            make = executor_factory(executor, n_jobs, trial_timeout)
            n_jobs = getattr(executor, "max_concurrent", None) or n_jobs
            driver.run_pool(objective, make, n_jobs, catch, trial_timeout)
