"""Each run of a comparison is a normal study named ``{comparison}/{technique}/seed{k}``.

tunesmith's strategies run their own studies (``StrategyRunner``), so their strategy is stored
and ``tunesmith.load_study`` rebuilds it. A runner from outside tunesmith (a peer) evaluates by
its own means; its evaluations are stored afterwards as finished trials of a study whose stored
strategy is random search (what would continue it) and whose settings keep, under
``extra["compare"]``, the comparison, the technique and the budget it ran with. Settings are
read and written through ``StudySettings`` only.
"""

from __future__ import annotations

import math
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
from tunesmith.trial import FrozenTrial, TrialState

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
    batch_size: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunRecord:
    """One technique, one seed: run (or resume, or read back) and record it. An interrupted
    run (Ctrl-C, SIGTERM, ``stop``) raises KeyboardInterrupt and records nothing it had not
    finished, even when the runner swallowed the interruption. ``batch_size``: the objective
    takes lists of trials (see ``compare.run``)."""
    backend = get_storage(storage)
    name = study_name(comparison, runner.name, seed)
    task = Task(objective, space, direction, budget, seed, backend, name)
    task.stop, task.batch_size = stop, batch_size
    if getattr(runner, "records_trials", False):
        start = task.start_clock()
        _run_uninterrupted(runner, task)
        wall = task.carried_wall + time.perf_counter() - start
        evaluations = task.evaluations[:budget]
        return RunRecord(runner.name, seed, evaluations, wall, task.note, task.caveat)
    stored, ran_with = _stored_run(backend, name)
    if len(stored) >= budget or ran_with >= budget:  # whole, or it stopped early by itself
        evaluations = stored[:budget]
        return RunRecord(runner.name, seed, evaluations, sum(e.wall or 0.0 for e in evaluations))
    start = task.start_clock()
    _run_uninterrupted(runner, task)
    wall = time.perf_counter() - start
    evaluations = task.evaluations[:budget]
    _record_run(backend, task, runner.name, comparison, evaluations[len(stored) :])
    return RunRecord(runner.name, seed, evaluations, wall, task.note, task.caveat)


def _run_uninterrupted(runner: Any, task: Task) -> None:
    """``runner.run(task)``; KeyboardInterrupt when an evaluation was interrupted, even if the
    runner caught it and returned (its partial run must not pass for a whole one)."""
    stopped = f"the run {task.study_name!r} was interrupted"
    try:
        runner.run(task)
    except Exception as exc:
        if task.interrupted:  # the runner turned the interruption into an error
            raise KeyboardInterrupt(stopped) from exc
        raise
    if task.interrupted:
        raise KeyboardInterrupt(stopped)


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
    """Store a runner's new evaluations as finished trials of a normal study, in one write."""
    settings = peer_settings(task, technique, comparison)
    try:
        backend.create_study(task.study_name, [task.direction], settings.to_json())
    except DuplicatedStudyError:
        pass
    if not new:
        return
    # Passing the strategy explicitly also reopens runs stored before it could be rebuilt.
    study = load_study(task.study_name, backend, strategy=Random())
    study.add_trials([_finished_trial(e, task, technique) for e in new])


def _finished_trial(e: Evaluation, task: Task, technique: str) -> FrozenTrial:
    """One evaluation as a finished trial: COMPLETE with its value, or FAIL with its reason."""
    times = {SECONDS_ATTR: e.seconds, WALL_ATTR: e.wall}
    dists = {k: task.space[k] for k in e.params if k in task.space}
    if e.value is not None and math.isfinite(e.value):
        state, values, error = TrialState.COMPLETE, (float(e.value),), None
    else:
        state, values, error = TrialState.FAIL, None, e.error or f"failed under {technique}"
    return FrozenTrial(
        0, state, dict(e.params), dists, values=values, user_attrs=times, error=error
    )


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
    """Reopen a stored comparison: every study named ``{name}/{technique}/seed{k}``.

    Args:
        name: The comparison's name.
        storage: A URL or a Storage holding its runs.
        objective: The objective, for a report's contour plots (not stored).
        budget: Read only the first ``budget`` evaluations of each run; None reads all.

    Returns:
        The comparison, as ``run`` returned it (without ``skipped``).

    Raises:
        ValueError: No comparison named ``name`` in ``storage``.
    """
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
