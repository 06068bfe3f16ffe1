"""``Study.optimize``: checks its arguments, then runs the driver over the study's ask and tell."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tunesmith.execution.local import Driver, executor_factory, resolve_jobs
from tunesmith.execution.progress import make_progress
from tunesmith.interrupts import graceful_signals
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

    Ctrl-C (KeyboardInterrupt) or SIGTERM stops the run: trials running in workers get a
    moment to finish, and every trial it asked and did not finish is put back to WAITING with
    its parameters (run first by the next run; their numbers are in ``study.put_back``) before
    the KeyboardInterrupt is re-raised (SIGTERM: ``Terminated``, a SystemExit with code 143).

    This is ``Study.optimize``; ``study`` is the study it runs.

    Args:
        study: The study to run (``self`` of ``Study.optimize``).
        objective: ``objective(trial)`` returns a number (one per direction); with
            ``batch_size`` it takes a list of trials and returns one result per trial.
        n_trials: How many trials to run; None runs until ``timeout`` or the strategy ends.
        timeout: Seconds after which no new trial starts; None for no limit.
        n_jobs: How many trials run at once; -1 for one per CPU core.
        catch: Exception types that fail only their trial; any other stops the run.
        callbacks: ``callback(study, frozen_trial)`` after each finished trial.
        progress: Show a progress bar.
        batch_size: Ask trials in batches of this size and call the objective on each batch.
        executor: Where trials run: "thread", "process", "ray", a ``RayExecutor`` or a
            ``concurrent.futures.Executor``; None runs them in this thread when
            ``n_jobs == 1``.
        trial_timeout: Seconds after which a running trial fails; None for no limit.

    Raises:
        ValueError: An argument breaks its rule; the message names it.
        KeyboardInterrupt: Ctrl-C, after the unfinished trials are put back.

    Examples:
        >>> import tunesmith as ts
        >>> study = ts.create_study(space={"x": ts.Float(-5, 5)}, seed=0)
        >>> study.optimize(lambda trial: (trial.params["x"] - 1) ** 2, n_trials=30)
        >>> len(study.trials)
        30
    """
    check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size)
    positive_or_none("optimize", "trial_timeout", trial_timeout)
    bind_study(objective, study)
    check_shippable(objective, executor)
    n_jobs = resolve_jobs(n_jobs)
    catch = tuple(catch)
    study.strategy.plan(n_trials)
    with put_back_on_interrupt(study), make_progress(progress, n_trials, study.study_name) as bar:
        study.on_wait = bar.waiting
        tell = _teller(study, bar, callbacks)
        driver = Driver(
            study._ask_for_run, tell, len(study.directions), n_trials=n_trials, timeout=timeout
        )
        if batch_size is not None:
            make = None if executor is None else executor_factory(executor, 1, None)
            driver.run_batched(objective, batch_size, catch, make)
        elif n_jobs == 1 and executor is None and trial_timeout is None:
            driver.run_serial(objective, catch)
        else:
            make = executor_factory(executor, n_jobs, trial_timeout)
            n_jobs = getattr(executor, "max_concurrent", None) or n_jobs
            driver.run_pool(objective, make, n_jobs, catch, trial_timeout)


def _teller(study: Study, bar: Any, callbacks: Sequence[Callable]) -> Callable:
    """The driver's tell: record the outcome, advance the bar, call the user's callbacks."""

    def tell(outcome: TrialOutcome) -> None:
        frozen = study._record(outcome)
        bar.advance(study._best_text)
        for callback in callbacks:
            callback(study, frozen)

    return tell


@contextmanager
def put_back_on_interrupt(study: Study) -> Iterator[None]:
    """SIGTERM becomes ``Terminated``; on the way out of any exception, the trials this run
    asked and did not finish go back to WAITING (``study.put_back`` lists them)."""
    asked_before = set(study._live)
    study.put_back = []
    try:
        with graceful_signals():
            yield
    except BaseException:
        unfinished = sorted(set(study._live) - asked_before)
        try:
            study.put_back = study._release(unfinished)
        except Exception:  # noqa: BLE001 - storage gone: the next run reaps them as lost
            pass
        raise
    finally:
        study.on_wait = None


def bind_study(objective: Any, study: Study) -> None:
    """An objective with a ``bind_study(study)`` method (``population.objective``) is given
    the study before the run (rule: so it may keep its files beside the study's storage)."""
    bind = getattr(objective, "bind_study", None)
    if callable(bind):
        bind(study)


def check_shippable(objective: Any, executor: Any) -> None:
    """With ``executor="process"`` the objective goes to other processes: check once that it
    can (pickle), instead of failing every trial with the same error."""
    if executor != "process":
        return
    try:
        pickle.dumps(objective)
    except Exception as exc:  # noqa: BLE001 - PicklingError, TypeError, AttributeError...
        raise ValueError(
            "The 'objective' parameter of optimize must be picklable with executor='process' "
            "(define it at module level, not as a lambda or nested function, and keep open "
            f"files, locks and connections out of it). Got {objective!r}: {exc}"
        ) from None
