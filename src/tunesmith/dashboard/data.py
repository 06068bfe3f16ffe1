"""Per-study caches of the trials that read only what changed since their last revision (so a
refresh costs what changed), at two depths: light columns (number, state, values, times: read
narrowly on SQL storages, enough for the study list and the history) and full trials
(parameters and attributes: read when another figure or the table needs them)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tunesmith.dashboard.columns import Columns, LightColumns
from tunesmith.dashboard.narrow import NarrowReader, engine_of
from tunesmith.storage import Storage, StudyInfo
from tunesmith.trial import FrozenTrial
from tunesmith.viz import StudySource

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
        "constraints": t.system_attrs.get("constraints"),
        "started": t.started,
        "finished": t.finished,
        "intermediate": {str(k): v for k, v in sorted(t.intermediate.items())},
    }


class StudyCache:
    """One study's light columns and full trials by number, the revision each reflects, and
    the figures computed at a revision (``memo``)."""

    def __init__(self, info: StudyInfo):
        self.info = info
        self.columns = Columns(len(info.directions))
        self.light_revision = 0
        self.trials: dict[int, FrozenTrial] = {}
        self.revision = 0  # of the full trials; 0: not read yet
        self.memo: dict[Any, tuple[int, Any]] = {}
        self.lock = threading.RLock()  # the columns and the memo
        self.full_lock = threading.RLock()  # the full trials (their first read takes long)

    def refresh_full(self, storage: Storage) -> None:
        changed, self.revision = storage.read(self.info.study_id, self.revision)
        for t in changed:
            self.trials[t.number] = t
        with self.lock:
            if self.revision >= self.light_revision:
                self.columns.put(LightColumns.of_trials(changed, len(self.info.directions)))
                self.light_revision = self.revision

    def refresh_light(self, reader: NarrowReader) -> None:
        changed, self.light_revision = reader.light(
            self.info.study_id, self.light_revision, len(self.info.directions)
        )
        self.columns.put(changed)

    def source(self) -> StudySource:
        """The study as the figures read it: its full trials, by number."""
        trials = self.trials
        return StudySource(
            self.info.name, tuple(self.info.directions), tuple(trials[n] for n in sorted(trials))
        )

    def remember(self, key: Any, revision: int, make: Callable[[], Any]) -> Any:
        """``make()``, computed once per revision of the study for ``key``."""
        kept = self.memo.get(key)
        if kept is not None and kept[0] == revision:
            return kept[1]
        value = make()
        self.memo[key] = (revision, value)
        return value


class StudyCaches:
    """The dashboard's view of a storage: a cache per study, refreshed on each request."""

    def __init__(self, storage: Storage):
        self.storage = storage
        engine = engine_of(storage)
        self.reader = NarrowReader(engine) if engine is not None else None
        self._caches: dict[int, StudyCache] = {}
        self._lock = threading.Lock()

    def _cache(self, info: StudyInfo, full: bool) -> StudyCache:
        with self._lock:
            cache = self._caches.get(info.study_id)
            if cache is None or cache.info.name != info.name:  # deleted and made again
                cache = self._caches[info.study_id] = StudyCache(info)
        if full or self.reader is None:  # no narrow reads: the full trials give the columns
            with cache.full_lock:
                cache.refresh_full(self.storage)
        else:
            with cache.lock:
                cache.refresh_light(self.reader)
        return cache

    def info(self, study_id: int) -> StudyInfo:
        """The study with id ``study_id``; KeyError when there is none."""
        for info in self.storage.list_studies():
            if info.study_id == study_id:
                return info
        raise KeyError(study_id)

    def light(self, study_id: int) -> StudyCache:
        """The study's cache with its light trials current."""
        return self._cache(self.info(study_id), full=False)

    def full(self, study_id: int) -> StudyCache:
        """The study's cache with its full trials current (read once, then what changed)."""
        return self._cache(self.info(study_id), full=True)

    def study_rows(self) -> list[dict[str, Any]]:
        """One row per study: name, directions, strategy, counts per state, best value, last
        activity (the latest start or finish of a trial)."""
        return [self._row(self._cache(info, False)) for info in self.storage.list_studies()]

    @staticmethod
    def _row(cache: StudyCache) -> dict[str, Any]:
        info = cache.info
        with cache.lock:
            summary = cache.columns.summary(info.directions)
        try:
            strategy = info.settings.strategy_name or "?"
        except ValueError:
            strategy = "?"
        return {
            "id": info.study_id,
            "name": info.name,
            "directions": list(info.directions),
            "strategy": strategy,
            **summary,
            "revision": cache.light_revision,
        }

    def changed(self, study_id: int, since: int, last: int | None) -> dict[str, Any]:
        """Trials changed after revision ``since`` (all of them for ``since=0``, or the
        ``last`` highest numbers) and the revision they bring the page to."""
        if since <= 0 and last and self.reader is not None:
            self.info(study_id)  # KeyError for a study that is not there
            rows, revision = self.reader.latest(study_id, last)
            return {"revision": revision, "trials": rows}
        if since <= 0:
            cache = self.full(study_id)
            numbers = sorted(cache.trials)
            trials = [cache.trials[n] for n in (numbers[-last:] if last else numbers)]
            revision = cache.revision
        else:
            changed, revision = self.storage.read(study_id, since)
            trials = sorted(changed, key=lambda t: t.number)
        return {"revision": revision, "trials": [trial_row(t) for t in trials]}
