"""``Study.optimize``: checks its arguments, then runs the driver over the study's ask and tell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunesmith.execution.local import Driver, executor_factory, resolve_jobs
from tunesmith.execution.progress import make_progress
from tunesmith.outcome import TrialOutcome
from tunesmith.validation import check_optimize_args, positive_or_none

if TYPE_CHECKING:  # annotations only: study.py imports this module
    from tunesmith.study.study import Study


def run_optimize(
    study: Study,
    objective: Callable[..., Any],
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: tuple[type[BaseException], ...],
    callbacks: Sequence[Callable[..., Any]],
    progress: bool,
    batch_size: int | None,
    executor: Any,
    trial_timeout: float | None,
) -> None:
    """The loop of ``Study.optimize`` (see its docstring)."""
    check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size)
    positive_or_none("optimize", "trial_timeout", trial_timeout)
    n_jobs = resolve_jobs(n_jobs)
    catch = tuple(catch)
    study.strategy.plan(n_trials)
    with make_progress(progress, n_trials, study.study_name) as bar:

        def tell(outcome: TrialOutcome) -> None:
            frozen = study._record(outcome)
            bar.advance(study._best_text())
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
