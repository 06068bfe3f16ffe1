"""Running a comparison: every technique, the same budget and seeds, each run a stored study.

Runs are named ``{name}/{technique}/seed{k}`` in the storage. Running the same comparison again
resumes it: tunesmith's studies continue where they stopped (only the missing trials run), and
a peer's run already recorded in full is read back instead of run again (a peer cannot resume
mid-run: one recorded in part is run again from its start, and only its new trials are added).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tunesmith.compare.model import (
    Comparison,
    RunRecord,
    check_space,
    parse_study_name,
    sequence_of_ints,
    study_name,
)
from tunesmith.compare.runners import (
    SECONDS_ATTR,
    WALL_ATTR,
    Task,
    _evaluations,
    as_runner,
)
from tunesmith.space import Distribution, space_from_json, space_to_json
from tunesmith.storage import InMemoryStorage, Storage, get_storage
from tunesmith.storage.base import DuplicatedStudyError, StudyNotFoundError

__all__ = ["run", "load", "DEFAULT_STRATEGIES"]

DEFAULT_STRATEGIES = ("grid", "random", "genetic", "gradient", "tpe")


def _check_args(budget: Any, n_jobs: Any, direction: Any, name: Any) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(
            f"The 'budget' parameter of compare.run must be an int >= 1. Got {budget!r} instead."
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise ValueError(
            "The 'n_jobs' parameter of compare.run must be an int >= 1, or -1 for one per "
            f"core. Got {n_jobs!r} instead."
        )
    if direction not in ("minimize", "maximize"):
        raise ValueError(
            "The 'direction' parameter of compare.run must be 'minimize' or 'maximize'. "
            f"Got {direction!r} instead."
        )
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"The 'name' parameter of compare.run must be a non-empty string. Got {name!r}."
        )


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
) -> Comparison:
    """Run every technique on ``objective`` with the same ``budget`` and ``seeds``.

    ``strategies`` holds tunesmith strategy names ("grid", "random", "genetic", "gradient",
    "tpe", "cmaes"), Strategy instances, or runners (objects with ``name`` and ``run(task)``,
    see ``tunesmith.compare.Runner``). A technique that cannot run here is skipped, with its
    reason in ``Comparison.skipped``. With ``n_jobs > 1`` the runs go to that many processes;
    they cannot share an in-memory storage, so pass a URL (or ``storage=None`` to keep nothing).
    ``on_record`` is called with each run as it finishes.
    """
    space = check_space(space, "compare.run")
    _check_args(budget, n_jobs, direction, name)
    seed_list = sequence_of_ints(seeds, "compare.run")
    active, skipped = _available(_runners(strategies))
    jobs = [(r, s) for r in active for s in seed_list]
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if workers > 1 and isinstance(storage, InMemoryStorage):
        raise ValueError(
            "compare.run with n_jobs > 1 runs in separate processes, which cannot share an "
            "in-memory storage; pass storage='sqlite:///compare.db', storage=None, or n_jobs=1."
        )
    backend = get_storage(storage)  # also creates a SQL schema before any worker races to
    if storage is not None:
        _check_existing(backend, name, space, direction)
    common = (objective, space, direction, budget, name)
    failed: dict[str, str] = {}
    if workers > 1 and len(jobs) > 1 and _picklable(objective, active):
        url = getattr(storage, "url", storage)
        records = _run_pool(jobs, common, url, min(workers, len(jobs)), on_record, failed)
    else:
        records = _run_here(jobs, common, backend, on_record, failed)
    for technique, reason in failed.items():
        skipped[technique] = reason
        warnings.warn(f"compare: {technique!r} failed and is left out: {reason}", stacklevel=2)
    records = [r for r in records if r.technique not in failed]
    active = [r for r in active if r.name not in failed]
    order = {r.name: i for i, r in enumerate(active)}
    records.sort(key=lambda r: (order[r.technique], seed_list.index(r.seed)))
    return Comparison(
        name=name,
        direction=direction,
        space=space,
        budget=budget,
        seeds=seed_list,
        techniques=[r.name for r in active],
        records=records,
        skipped=skipped,
        objective=objective,
    )


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


def _check_existing(
    backend: Storage, name: str, space: dict[str, Distribution], direction: str
) -> None:
    """A resumed comparison must search the same space in the same direction."""
    for info in backend.list_studies():
        if parse_study_name(info.name, name) is None:
            continue
        stored = space_from_json(info.attrs.get("space", {}))
        if stored != space or tuple(info.directions) != (direction,):
            raise ValueError(
                f"The storage already holds a comparison named {name!r} over another space or "
                f"direction (study {info.name!r}: {', '.join(info.directions)} over "
                f"{', '.join(stored) or 'nothing'}); give a new name to compare this one."
            )


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
    records = []
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(run_one, runner, seed, storage, *common): runner.name
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
    return records


def _failure(exc: BaseException) -> str:
    return "failed: " + " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def run_one(
    runner: Any,
    seed: int,
    storage: Any,
    objective: Callable[..., Any],
    space: dict[str, Distribution],
    direction: str,
    budget: int,
    comparison: str,
) -> RunRecord:
    """One technique, one seed: run (or resume, or read back) and record it."""
    backend = get_storage(storage)
    name = study_name(comparison, runner.name, seed)
    task = Task(objective, space, direction, budget, seed, backend, name)
    if getattr(runner, "records_trials", False):
        start = time.perf_counter()
        task._last_end = start
        runner.run(task)
        wall = task.carried_wall + time.perf_counter() - start
        return RunRecord(runner.name, seed, task.evaluations[:budget], wall, task.note)
    stored, ran_with = _stored_run(backend, name)
    if len(stored) >= budget or ran_with >= budget:  # whole, or it stopped early by itself
        evaluations = stored[:budget]
        return RunRecord(runner.name, seed, evaluations, sum(e.wall or 0.0 for e in evaluations))
    start = time.perf_counter()
    task._last_end = start
    runner.run(task)
    wall = time.perf_counter() - start
    evaluations = task.evaluations[:budget]
    _record_run(backend, task, runner.name, comparison, evaluations, len(stored))
    return RunRecord(runner.name, seed, evaluations, wall, task.note)


def _stored_run(backend: Storage, name: str) -> tuple[list, int]:
    """A recorded runner's evaluations, and the budget it was run with (0: none stored)."""
    try:
        info = backend.get_study(name)
    except StudyNotFoundError:
        return [], 0
    trials, _ = backend.read(info.study_id, 0)
    return _evaluations(trials), int(info.attrs.get("compare", {}).get("budget", 0))


def _record_run(
    backend: Storage,
    task: Task,
    technique: str,
    comparison: str,
    evaluations: list,
    skip: int,
) -> None:
    """Store a runner's evaluations as a normal study (its trials enqueued, asked and told)."""
    import tunesmith as ts

    attrs = {
        "space": space_to_json(task.space),
        "strategy": {"name": f"peer:{technique}", "config": {}},
        "seed": task.seed,
        "compare": {"comparison": comparison, "technique": technique, "budget": task.budget},
    }
    try:
        backend.create_study(task.study_name, [task.direction], attrs)
    except DuplicatedStudyError:
        pass
    study = ts.load_study(task.study_name, backend, strategy="random")
    new = evaluations[skip:]
    for e in new:
        study.enqueue(e.params)
    if not new:
        return
    for trial, e in zip(study.ask_batch(len(new)), new):
        trial.set_user_attr(SECONDS_ATTR, e.seconds)
        trial.set_user_attr(WALL_ATTR, e.wall)
        if e.value is None:
            study.tell(trial, state=ts.TrialState.FAIL, error=f"failed under {technique}")
        else:
            study.tell(trial, e.value)


def load(
    name: str, storage: Any, objective: Callable[..., Any] | None = None, budget: int | None = None
) -> Comparison:
    """Reopen a stored comparison: every study named ``{name}/{technique}/seed{k}``."""
    backend = get_storage(storage)
    records: list[RunRecord] = []
    direction, space = "minimize", {}
    for info in backend.list_studies():
        parsed = parse_study_name(info.name, name)
        if parsed is None:
            continue
        trials, _ = backend.read(info.study_id, 0)
        evaluations = _evaluations(trials)
        if budget is not None:
            evaluations = evaluations[:budget]
        direction = info.directions[0]
        space = space or space_from_json(info.attrs.get("space", {}))
        wall = sum(e.wall or 0.0 for e in evaluations)
        records.append(RunRecord(parsed[0], parsed[1], evaluations, wall))
    if not records:
        raise ValueError(f"No comparison named {name!r} in {storage!r}.")
    techniques = list(dict.fromkeys(r.technique for r in records))
    seeds = sorted({r.seed for r in records})
    records.sort(key=lambda r: (techniques.index(r.technique), r.seed))
    return Comparison(
        name=name,
        direction=direction,
        space=space,
        budget=budget or max(len(r.evaluations) for r in records),
        seeds=seeds,
        techniques=techniques,
        records=records,
        objective=objective,
    )
