"""What the dashboard serves, as JSON-ready dicts: the study list and the trials that changed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tunesmith.ranking import best_trial
from tunesmith.storage import Storage, StudyInfo
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["study_rows", "trial_row", "changed_trials"]


def _settings_strategy(info: StudyInfo) -> str:
    try:
        return info.settings.strategy_name or "?"
    except ValueError:
        return "?"


def study_rows(storage: Storage) -> list[dict[str, Any]]:
    """One row per study: name, directions, strategy, counts per state, best value, last
    activity (the latest start or finish of a trial)."""
    rows = []
    for info in storage.list_studies():
        trials, revision = storage.read(info.study_id, 0)
        counts = Counter(t.state.value for t in trials)
        best = best_trial(trials, info.directions) if len(info.directions) == 1 else None
        times = [x for t in trials for x in (t.started, t.finished) if x is not None]
        rows.append(
            {
                "id": info.study_id,
                "name": info.name,
                "directions": list(info.directions),
                "strategy": _settings_strategy(info),
                "trials": len(trials),
                "states": dict(counts),
                "best": None if best is None else best.values[0],  # type: ignore[index]
                "last_activity": max(times) if times else None,
                "revision": revision,
            }
        )
    return rows


def trial_row(t: FrozenTrial) -> dict[str, Any]:
    """A trial as the dashboard shows it (everything JSON already; the page escapes it)."""
    return {
        "number": t.number,
        "state": t.state.value,
        "values": None if t.values is None else list(t.values),
        "params": t.params,
        "user_attrs": t.user_attrs,
        "error": t.error,
        "traceback": t.system_attrs.get("traceback"),
        "started": t.started,
        "finished": t.finished,
        "intermediate": {str(k): v for k, v in sorted(t.intermediate.items())},
    }


def changed_trials(storage: Storage, study_id: int, since: int) -> dict[str, Any]:
    """The trials changed after revision ``since`` and the new revision: a live update costs
    what changed, not the study's size."""
    trials, revision = storage.read(study_id, since)
    return {
        "revision": revision,
        "trials": [trial_row(t) for t in sorted(trials, key=lambda t: t.number)],
        "complete": TrialState.COMPLETE.value,
    }
