"""What the dashboard serves, as JSON-ready dicts, from a per-study cache of the trials that
reads only what changed since its last revision (so a refresh costs what changed)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import numpy as np

from tunesmith.ranking import best_trial
from tunesmith.storage import Storage, StudyInfo
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz import downsample

__all__ = ["StudyCaches", "trial_row"]


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


class _Cache:
    """One study's trials by number and the revision they reflect."""

    def __init__(self, info: StudyInfo):
        self.info = info
        self.trials: dict[int, FrozenTrial] = {}
        self.revision = 0

    def refresh(self, storage: Storage) -> list[FrozenTrial]:
        changed, self.revision = storage.read(self.info.study_id, self.revision)
        for t in changed:
            self.trials[t.number] = t
        return changed


class StudyCaches:
    """The dashboard's view of a storage: a cache per study, refreshed on each request."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self._caches: dict[int, _Cache] = {}
        self._lock = threading.Lock()

    def _cache(self, info: StudyInfo) -> _Cache:
        with self._lock:
            cache = self._caches.get(info.study_id)
            if cache is None or cache.info.name != info.name:  # deleted and made again
                cache = self._caches[info.study_id] = _Cache(info)
            cache.refresh(self.storage)
            return cache

    def _by_id(self, study_id: int) -> _Cache:
        for info in self.storage.list_studies():
            if info.study_id == study_id:
                return self._cache(info)
        raise KeyError(study_id)

    def study_rows(self) -> list[dict[str, Any]]:
        """One row per study: name, directions, strategy, counts per state, best value, last
        activity (the latest start or finish of a trial)."""
        return [self._row(self._cache(info)) for info in self.storage.list_studies()]

    @staticmethod
    def _row(cache: _Cache) -> dict[str, Any]:
        info, trials = cache.info, list(cache.trials.values())
        best = best_trial(trials, info.directions) if len(info.directions) == 1 else None
        times = [x for t in trials for x in (t.started, t.finished) if x is not None]
        try:
            strategy = info.settings.strategy_name or "?"
        except ValueError:
            strategy = "?"
        return {
            "id": info.study_id,
            "name": info.name,
            "directions": list(info.directions),
            "strategy": strategy,
            "trials": len(trials),
            "states": dict(Counter(t.state.value for t in trials)),
            "best": None if best is None else best.values[0],  # type: ignore[index]
            "last_activity": max(times) if times else None,
            "revision": cache.revision,
        }

    def changed(self, study_id: int, since: int, last: int | None) -> dict[str, Any]:
        """Trials changed after revision ``since`` (all of them for ``since=0``, or the
        ``last`` highest numbers) and the revision they bring the page to."""
        if since <= 0:
            cache = self._by_id(study_id)
            numbers = sorted(cache.trials)
            trials = [cache.trials[n] for n in (numbers[-last:] if last else numbers)]
            revision = cache.revision
        else:
            changed, revision = self.storage.read(study_id, since)
            trials = sorted(changed, key=lambda t: t.number)
        return {"revision": revision, "trials": [trial_row(t) for t in trials]}

    def history(self, study_id: int, max_points: int) -> dict[str, Any]:
        """The first objective of the COMPLETE trials, its best so far, downsampled."""
        cache = self._by_id(study_id)
        done = sorted(
            (t for t in cache.trials.values() if t.state is TrialState.COMPLETE and t.values),
            key=lambda t: t.number,
        )
        x = np.array([t.number for t in done], dtype=float)
        y = np.array([t.values[0] for t in done], dtype=float)  # type: ignore[index]
        sign = -1.0 if cache.info.directions[0] == "maximize" else 1.0
        best = sign * np.minimum.accumulate(sign * y) if len(y) else y
        improved = np.flatnonzero(np.r_[True, best[1:] != best[:-1]]) if len(best) else []
        keep = downsample(len(x), max_points, improved)  # every improvement of the best kept
        return {
            "revision": cache.revision,
            "points": len(done),
            "x": x[keep].tolist(),
            "y": y[keep].tolist(),
            "best": best[keep].tolist(),
        }
