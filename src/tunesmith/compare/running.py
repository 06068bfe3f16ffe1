"""Running a comparison: every technique, the same budget and seeds, each run a stored study.

Runs are named ``{name}/{technique}/seed{k}`` in the storage (see ``stored``). Running the
same comparison again resumes it: tunesmith's studies continue where they stopped (only the
missing trials run), and a peer's run already recorded in full is read back instead of run
again (a peer cannot resume mid-run: one recorded in part is run again from its start, and
only its new trials are added). Ctrl-C (or SIGTERM) stops the whole comparison: the evaluations
it cut short are not recorded, so running it again runs exactly what is missing.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import pickle
import signal
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tunesmith.compare.comparison import Comparison
from tunesmith.compare.model import RunRecord, check_space, sequence_of_ints
from tunesmith.compare.runners import as_runner
from tunesmith.compare.stored import check_existing, run_one
from tunesmith.execution.evaluate import INTERRUPTIONS
from tunesmith.space import Distribution
from tunesmith.storage import InMemoryStorage, Storage, get_storage
from tunesmith.validation import DIRECTION, N_JOBS, NAME, Integer, NoneOr, check_params

__all__ = ["run", "DEFAULT_STRATEGIES"]

DEFAULT_STRATEGIES = ("grid", "random", "genetic", "gradient", "tpe")


_ARGUMENTS = {
    "budget": Integer(1),
    "n_jobs": N_JOBS,
    "direction": DIRECTION,
    "name": NAME,
    "batch_size": NoneOr(Integer(1)),
}


def _runners(strategies: Sequence[Any]) -> list[Any]:
    if isinstance(strategies, str):
        strategies = [s.strip() for s in strategies.split(",") if s.strip()]
    runners = [as_runner(s) for s in strategies]
    if not runners:
        raise ValueError("The 'strategies' parameter of compare.run must not be empty.")
    names = [r.name for r in runners]
    for n in names:
        if not n or "/" in n or names.count(n) > 1:
            raise ValueError(
                "Every technique of compare.run needs a unique name without '/'. "
                f"Got {names} instead."
            )
    return runners


def run(
    objective: Callable[..., Any],
    space: dict[str, Distribution],
    strategies: Sequence[Any] = DEFAULT_STRATEGIES,
    budget: int = 100,
    seeds: int | Sequence[int] = 5,
    n_jobs: int = 1,
    storage: Any = None,
    direction: str = "minimize",
    name: str = "compare",
    on_record: Callable[[RunRecord], Any] | None = None,
    batch_size: int | None = None,
) -> Comparison:
    """Run every technique on ``objective`` with the same ``budget`` and ``seeds``.

    A technique that cannot run here is skipped, with its reason in ``Comparison.skipped``.

    Args:
        objective: ``objective(params) -> float``, params a dict of the space's names.
        space: Parameter name -> ``Float``, ``Int`` or ``Choice``.
        strategies: Strategy names (any of ``STRATEGY_NAMES``: "grid", "random", "tpe", ...),
            Strategy instances, or runners (objects with ``name`` and ``run(task)``, see
            ``tunesmith.compare.Runner``).
        budget: Evaluations per run.
        seeds: K for seeds 0 .. K-1, or a list of seeds; each technique runs once per seed.
        n_jobs: Processes the runs go to (-1: one per core); they cannot share an in-memory
            storage, so pass a URL (or ``storage=None`` to keep nothing).
        storage: Where each run is kept as a study: None (memory), a URL or a Storage.
        direction: ``"minimize"`` or ``"maximize"``.
        name: The comparison's name; runs are studies ``{name}/{technique}/seed{k}``.
        on_record: Called with each run's ``RunRecord`` as it finishes.
        batch_size: N: the objective is batched, called with lists of up to N trials as
            ``Study.optimize(batch_size=N)`` does (a runner's ``task.evaluate`` calls it with
            one-trial lists).

    Returns:
        The comparison: its runs, and ``summary()`` / ``report()`` of them.

    Raises:
        ValueError: An argument breaks its rule, or ``n_jobs > 1`` with an in-memory storage.

    Examples:
        >>> import tunesmith as ts
        >>> from tunesmith import compare
        >>> space = {"x": ts.Float(-5, 5)}
        >>> result = compare.run(lambda p: (p["x"] - 1) ** 2, space, ["random", "tpe"], budget=20)
        >>> result.techniques
        ['random', 'tpe']
    """
    space = check_space(space, "compare.run")
    check_params("compare.run", _ARGUMENTS, locals())
    seed_list = sequence_of_ints(seeds, "compare.run")
    active, skipped = _available(_runners(strategies))
    jobs = [(r, s) for r in active for s in seed_list]
    workers = _workers(n_jobs, storage)
    backend = get_storage(storage)  # also creates a SQL schema before any worker races to
    if storage is not None:
        check_existing(backend, name, space, direction)
    common = (objective, space, direction, budget, name, batch_size)
    failed: dict[str, str] = {}
    if workers > 1 and len(jobs) > 1 and _picklable(objective, active):
        url = getattr(storage, "url", storage)
        records = _run_pool(jobs, common, url, min(workers, len(jobs)), on_record, failed)
    else:
        records = _run_here(jobs, common, backend, on_record, failed)
    for technique, reason in failed.items():
        skipped[technique] = reason
        warnings.warn(f"compare: {technique!r} failed and is left out: {reason}", stacklevel=2)
    techniques = [r.name for r in active if r.name not in failed]
    records = [r for r in records if r.technique in techniques]
    records.sort(key=lambda r: (techniques.index(r.technique), seed_list.index(r.seed)))
    return Comparison(
        name, direction, space, budget, seed_list, techniques, records, skipped, objective
    )


def _workers(n_jobs: int, storage: Any) -> int:
    """Processes to run in; refuses an in-memory storage they could not share."""
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if workers > 1 and isinstance(storage, InMemoryStorage):
        raise ValueError(
            "compare.run with n_jobs > 1 runs in separate processes, which cannot share an "
            "in-memory storage; pass storage='sqlite:///compare.db', storage=None, or n_jobs=1."
        )
    return workers


def _available(runners: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """The runners that can run here, and why the others cannot."""
    active, skipped = [], {}
    for runner in runners:
        reason = getattr(runner, "unavailable", lambda: None)()
        if reason:
            skipped[runner.name] = reason
            warnings.warn(f"compare: skipping {runner.name!r}: {reason}", stacklevel=3)
        else:
            active.append(runner)
    return active, skipped


def _run_here(
    jobs: list[tuple[Any, int]],
    common: tuple[Any, ...],
    backend: Storage,
    on_record: Callable[[RunRecord], Any] | None,
    failed: dict[str, str],
) -> list[RunRecord]:
    records = []
    for runner, seed in jobs:
        if runner.name in failed:
            continue
        try:
            records.append(run_one(runner, seed, backend, *common))
        except Exception as exc:  # noqa: BLE001 - one technique's failure skips only it
            failed[runner.name] = _failure(exc)
            continue
        if on_record is not None:
            on_record(records[-1])
    return records


def _picklable(objective: Any, runners: Sequence[Any]) -> bool:
    try:
        pickle.dumps((objective, list(runners)))
    except Exception as exc:  # noqa: BLE001 - any reason pickling fails means: run here
        warnings.warn(
            f"compare: the objective or a runner cannot be sent to worker processes ({exc}); "
            "running in this process instead.",
            stacklevel=3,
        )
        return False
    return True


def _run_pool(
    jobs: list[tuple[Any, int]],
    common: tuple[Any, ...],
    storage: Any,
    workers: int,
    on_record: Callable[[RunRecord], Any] | None,
    failed: dict[str, str],
) -> list[RunRecord]:
    """The runs in ``workers`` processes. Ctrl-C (or an interrupted run) stops them all: no
    run starts after it, and the running ones stop at their next evaluation at the latest."""
    records = []
    context = mp.get_context()
    stop = context.Event()
    pool = cf.ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(stop,))
    try:
        futures = {
            pool.submit(_pool_job, runner, seed, storage, *common): runner.name
            for runner, seed in jobs
        }
        for future in cf.as_completed(futures):
            try:
                records.append(future.result())
            except Exception as exc:  # noqa: BLE001 - one technique's failure skips only it
                failed.setdefault(futures[future], _failure(exc))
                continue
            if on_record is not None:
                on_record(records[-1])
    except BaseException:
        stop.set()  # KeyboardInterrupt, SIGTERM: every worker stops, then the error goes on up
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return records


_WORKER: dict[str, Any] = {}  # in a worker process: "stop", the comparison's stop event


def _start_worker(stop: Any) -> None:
    """A worker ignores Ctrl-C between runs (it would break the pool); ``_pool_job`` listens."""
    _WORKER["stop"] = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_job(runner: Any, seed: int, storage: Any, *common: Any) -> RunRecord:
    """``run_one`` in a worker: Ctrl-C interrupts it, and once the comparison is stopped (here
    or by the parent) no run starts and no evaluation begins."""
    stop = _WORKER["stop"]
    if stop.is_set():
        raise KeyboardInterrupt("the comparison is being stopped")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run_one(runner, seed, storage, *common, stop=stop.is_set)
    except INTERRUPTIONS:
        stop.set()  # an interrupted worker: the others stop too
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _failure(exc: BaseException) -> str:
    return "failed: " + " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
