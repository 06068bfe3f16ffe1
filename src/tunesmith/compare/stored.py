"""Each run of a comparison is a normal study named ``{comparison}/{technique}/seed{k}``.

tunesmith's strategies run their own studies (``StrategyRunner``), so their strategy is stored
and ``tunesmith.load_study`` rebuilds it. A runner from outside tunesmith (a peer) evaluates by
its own means; its evaluations are stored afterwards as enqueued trials of a study whose stored
strategy is random search (what would continue it) and whose settings keep, under
``extra["compare"]``, the comparison, the technique and the budget it ran with. Settings are
read and written through ``StudySettings`` only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tunesmith.compare.comparison import Comparison
from tunesmith.compare.model import Evaluation, RunRecord, parse_study_name, study_name
from tunesmith.compare.runners import SECONDS_ATTR, WALL_ATTR, Task, stored_evaluations
from tunesmith.records import StudySettings
from tunesmith.space import Distribution, space_from_json, space_to_json
from tunesmith.storage import DuplicatedStudyError, Storage, StudyNotFoundError, get_storage
from tunesmith.strategies import Random, to_attrs
from tunesmith.study import load_study
from tunesmith.trial import TrialState

__all__ = ["run_one", "load", "check_existing", "peer_settings", "COMPARE_KEY"]

COMPARE_KEY = "compare"  # the key of StudySettings.extra that holds a peer run's settings


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
        start = task.start_clock()
        runner.run(task)
        wall = task.carried_wall + time.perf_counter() - start
        return RunRecord(runner.name, seed, task.evaluations[:budget], wall, task.note)
    stored, ran_with = _stored_run(backend, name)
    if len(stored) >= budget or ran_with >= budget:  # whole, or it stopped early by itself
        evaluations = stored[:budget]
        return RunRecord(runner.name, seed, evaluations, sum(e.wall or 0.0 for e in evaluations))
    start = task.start_clock()
    runner.run(task)
    wall = time.perf_counter() - start
    evaluations = task.evaluations[:budget]
    _record_run(backend, task, runner.name, comparison, evaluations[len(stored) :])
    return RunRecord(runner.name, seed, evaluations, wall, task.note)


def _stored_run(backend: Storage, name: str) -> tuple[list[Evaluation], int]:
    """A recorded runner's evaluations, and the budget it was run with (0: none stored)."""
    try:
        info = backend.get_study(name)
    except StudyNotFoundError:
        return [], 0
    trials, _ = backend.read(info.study_id, 0)
    ran_with = info.settings.extra.get(COMPARE_KEY, {}).get("budget", 0)
    return stored_evaluations(trials), int(ran_with)


def peer_settings(task: Task, technique: str, comparison: str) -> StudySettings:
    """The stored settings of a peer's run: random search, and the run under ``compare``."""
    run = {"comparison": comparison, "technique": technique, "budget": task.budget}
    return StudySettings(
        seed=task.seed,
        space=space_to_json(task.space),
        strategy=to_attrs(Random()),
        extra={COMPARE_KEY: run},
    )


def _record_run(
    backend: Storage, task: Task, technique: str, comparison: str, new: list[Evaluation]
) -> None:
    """Store a runner's new evaluations as a normal study (enqueued, asked and told)."""
    settings = peer_settings(task, technique, comparison)
    try:
        backend.create_study(task.study_name, [task.direction], settings.to_json())
    except DuplicatedStudyError:
        pass
    # The trials are all enqueued: the strategy proposes nothing here. Passing the stored one
    # explicitly also reopens runs stored before their strategy could be rebuilt.
    study = load_study(task.study_name, backend, strategy=Random())
    for e in new:
        study.enqueue(e.params)
    if not new:
        return
    for trial, e in zip(study.ask_batch(len(new)), new):
        trial.set_user_attr(SECONDS_ATTR, e.seconds)
        trial.set_user_attr(WALL_ATTR, e.wall)
        if e.value is None:
            study.tell(trial, state=TrialState.FAIL, error=f"failed under {technique}")
        else:
            study.tell(trial, e.value)


def check_existing(
    backend: Storage, name: str, space: dict[str, Distribution], direction: str
) -> None:
    """A resumed comparison must search the same space in the same direction."""
    for info in backend.list_studies():
        if parse_study_name(info.name, name) is None:
            continue
        stored = space_from_json(info.settings.space)
        if stored != space or tuple(info.directions) != (direction,):
            raise ValueError(
                f"The storage already holds a comparison named {name!r} over another space or "
                f"direction (study {info.name!r}: {', '.join(info.directions)} over "
                f"{', '.join(stored) or 'nothing'}); give a new name to compare this one."
            )


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
        evaluations = stored_evaluations(trials)[:budget]
        direction = info.directions[0]
        space = space or space_from_json(info.settings.space)
        wall = sum(e.wall or 0.0 for e in evaluations)
        records.append(RunRecord(parsed[0], parsed[1], evaluations, wall))
    if not records:
        raise ValueError(f"No comparison named {name!r} in {storage!r}.")
    techniques = list(dict.fromkeys(r.technique for r in records))
    records.sort(key=lambda r: (techniques.index(r.technique), r.seed))
    return Comparison(
        name=name,
        direction=direction,
        space=space,
        budget=budget or max(len(r.evaluations) for r in records),
        seeds=sorted({r.seed for r in records}),
        techniques=techniques,
        records=records,
        objective=objective,
    )
