"""In-memory storage: the same contract as SQL, for one process, guarded by one lock."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tunesmith.owner import this_process
from tunesmith.records import SystemKey
from tunesmith.storage.base import (
    Claim,
    DuplicatedStudyError,
    Proposal,
    ProposeFn,
    Running,
    Storage,
    StorageError,
    StudyInfo,
    StudyNotFoundError,
    check_user_attr_target,
    lost_attrs,
    lost_error,
    lost_reason,
    released_attrs,
    retry_proposal,
    with_user_attr,
)
from tunesmith.trial import FrozenTrial, TrialState


class _StudyRecord:
    __slots__ = ("info", "trials", "log", "waiting", "heartbeats")

    def __init__(self, info: StudyInfo):
        self.info = info
        self.trials: list[FrozenTrial] = []  # index == trial number
        self.log: list[int] = []  # trial number changed at each revision
        self.waiting: deque[int] = deque()  # numbers of WAITING trials, oldest first
        self.heartbeats: dict[int, float] = {}  # RUNNING trial number -> last heartbeat


class InMemoryStorage(Storage):
    """Studies kept in this process; lost when it ends."""

    persistent = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._names: dict[str, int] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def create_study(
        self, name: str, directions: Sequence[str], attrs: dict[str, Any]
    ) -> StudyInfo:
        with self._lock:
            if name in self._names:
                raise DuplicatedStudyError(f"A study named {name!r} already exists.")
            info = StudyInfo(len(self._studies) + 1, name, tuple(directions), dict(attrs))
            self._studies[info.study_id] = _StudyRecord(info)
            self._names[name] = info.study_id
            return info

    def get_study(self, name: str) -> StudyInfo:
        with self._lock:
            if name not in self._names:
                raise StudyNotFoundError(f"No study named {name!r} in this storage.")
            rec = self._studies[self._names[name]]
            return replace(rec.info, n_trials=len(rec.trials))

    def list_studies(self) -> list[StudyInfo]:
        with self._lock:
            return [replace(r.info, n_trials=len(r.trials)) for r in self._studies.values()]

    def _add(
        self, rec: _StudyRecord, p: Proposal, state: TrialState, now: float | None
    ) -> FrozenTrial:
        number = len(rec.trials)
        if state is TrialState.RUNNING:
            rec.heartbeats[number] = now  # type: ignore[assignment]
        trial = FrozenTrial(
            number,
            state,
            p.params,
            p.distributions,
            system_attrs=p.system_attrs,
            started=now,
            trial_id=number,
        )
        rec.trials.append(trial)
        rec.log.append(number)
        if state is TrialState.WAITING:
            rec.waiting.append(number)
        return trial

    def enqueue(self, study_id: int, proposals: Sequence[Proposal]) -> list[FrozenTrial]:
        with self._lock:
            rec = self._studies[study_id]
            return [self._add(rec, p, TrialState.WAITING, None) for p in proposals]

    def claim(
        self,
        study_id: int,
        since: int,
        n: int,
        propose: ProposeFn,
        stale_before: float | None = None,
        retries: int = 0,
        owner: dict[str, Any] | None = None,
    ) -> Claim:
        # One process holds an in-memory study, so every RUNNING trial's owner is alive.
        with self._lock:
            rec = self._studies[study_id]
            now = time.time()
            if stale_before is not None:
                self._reap_stale(rec, stale_before, retries, now)
            changes = self._changes(rec, since)
            claimed: list[FrozenTrial] = []
            written: list[FrozenTrial] = []
            while rec.waiting and len(claimed) < n:
                number = rec.waiting.popleft()
                trial = replace(rec.trials[number], state=TrialState.RUNNING, started=now)
                rec.trials[number] = trial
                rec.heartbeats[number] = now
                rec.log.append(number)
                claimed.append(trial)
            if len(claimed) < n:
                need = n - len(claimed)
                for i, p in enumerate(propose(changes, len(rec.trials), need)):
                    state = TrialState.RUNNING if i < need else TrialState.WAITING
                    trial = self._add(rec, p, state, now if i < need else None)
                    (claimed if i < need else written).append(trial)
            return Claim(changes, claimed, written, len(rec.log))

    def _reap_stale(self, rec: _StudyRecord, before: float, retries: int, now: float) -> None:
        for number, beat in list(rec.heartbeats.items()):
            trial = rec.trials[number]
            if trial.state is not TrialState.RUNNING:
                del rec.heartbeats[number]
            elif beat < before and (reason := lost_reason(this_process(), beat, before, number)):
                del rec.heartbeats[number]
                rec.trials[number] = replace(
                    trial,
                    state=TrialState.FAIL,
                    error=reason,
                    finished=now,
                    system_attrs=lost_attrs(trial.system_attrs),
                )
                rec.log.append(number)
                retry = retry_proposal(trial, retries)
                if retry is not None:
                    self._add(rec, retry, TrialState.WAITING, None)

    def heartbeat(self, study_id: int, trial_ids: Sequence[int], now: float) -> None:
        with self._lock:
            rec = self._studies[study_id]
            for number in trial_ids:  # in memory, a trial's id is its number
                if number in rec.heartbeats:
                    rec.heartbeats[number] = now

    def finish(self, study_id, trial, state, values, error, finished) -> FrozenTrial:
        with self._lock:
            rec = self._studies[study_id]
            current = rec.trials[trial.number]
            if current.system_attrs.get(SystemKey.LOST):
                raise lost_error(trial.number, current.error, values)
            if current.state is not TrialState.RUNNING:
                raise StorageError(
                    f"Trial {trial.number} is already {current.state.value}; a finished trial is "
                    "never overwritten."
                )
            done = replace(
                trial,
                state=state,
                values=values,
                error=error,
                started=current.started,
                finished=finished,
                system_attrs={**current.system_attrs, **trial.system_attrs},
            )
            rec.trials[trial.number] = done
            rec.log.append(trial.number)
            rec.heartbeats.pop(trial.number, None)
            return done

    def release(self, study_id: int, trial_ids: Sequence[int]) -> int:
        with self._lock:
            rec = self._studies[study_id]
            count = 0
            for number in sorted(trial_ids):  # in memory, a trial's id is its number
                trial = rec.trials[number]
                if trial.state is not TrialState.RUNNING:
                    continue
                rec.trials[number] = replace(
                    trial,
                    state=TrialState.WAITING,
                    started=None,
                    intermediate={},
                    system_attrs=released_attrs(trial.system_attrs),
                )
                rec.heartbeats.pop(number, None)
                rec.log.append(number)
                rec.waiting.appendleft(number)  # run again before anything newer
                count += 1
            rec.waiting = deque(sorted(rec.waiting))
            return count

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        with self._lock:
            rec = self._studies[study_id]
            out = []
            for trial in trials:
                number = len(rec.trials)
                done = replace(trial, number=number, trial_id=number)
                rec.trials.append(done)
                rec.log.append(number)
                out.append(done)
            return out

    def set_study_attrs(self, study_id: int, attrs: dict[str, Any]) -> None:
        with self._lock:
            rec = self._studies[study_id]
            rec.info = replace(rec.info, attrs=dict(attrs))

    def set_user_attr(self, study_id: int, number: int, key: str, value: Any) -> FrozenTrial:
        with self._lock:
            rec = self._studies[study_id]
            found = rec.trials[number] if 0 <= number < len(rec.trials) else None
            trial = check_user_attr_target(found, number)
            changed = replace(trial, user_attrs=with_user_attr(trial.user_attrs, key, value))
            rec.trials[number] = changed
            rec.log.append(number)
            return changed

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            rec = self._studies.pop(study_id)
            del self._names[rec.info.name]

    def running(self, study_id: int) -> list[Running]:
        with self._lock:
            rec = self._studies[study_id]
            return [Running(n, None, beat) for n, beat in sorted(rec.heartbeats.items())]

    def read(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            rec = self._studies.get(study_id)
            if rec is None:
                raise StudyNotFoundError(f"Study id {study_id} is not in the storage.")
            return self._changes(rec, since), len(rec.log)

    @staticmethod
    def _changes(rec: _StudyRecord, since: int) -> list[FrozenTrial]:
        if since >= len(rec.log):
            return []
        numbers = dict.fromkeys(rec.log[since:])
        return [rec.trials[k] for k in numbers]
