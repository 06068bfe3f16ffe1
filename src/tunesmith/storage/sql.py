"""SQL storage over SQLAlchemy Core: SQLite (embedded default) and PostgreSQL (many machines).

Each ask is one transaction and each tell is one. Writers first bump the study's revision; on
SQLite the transaction begins IMMEDIATE (the write lock is taken up front, so concurrent
processes queue on ``busy_timeout`` instead of failing with "database is locked"), and on
PostgreSQL the bump's row lock serializes writers of one study. Readers ask only for rows whose
revision is newer than the last one they saw. Transactions survive lost connections (retried
with backoff, then a clear error).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tunesmith.records import SystemKey
from tunesmith.storage import _sql_rows as q
from tunesmith.storage import _sql_trials as rows
from tunesmith.storage._sql_engine import engine_for, normalize_url, run_transaction
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
    dumps,
    lost_error,
)
from tunesmith.storage.schema import ensure_schema, studies_table
from tunesmith.trial import FrozenTrial, TrialState


class SQLStorage(Storage):
    """Studies in a SQL database: ``sqlite:///path.db`` or ``postgresql://user@host/db``."""

    def __init__(self, url: str, retry_seconds: float = 60.0, *, create: bool = True):
        self.url = normalize_url(url)
        self.retry_seconds = retry_seconds
        self.engine = engine_for(url)
        ensure_schema(self.url, self.engine, self._read, self._write, create=create)

    def __repr__(self) -> str:
        return f"SQLStorage({self.url!r})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its URL; the engine is rebuilt (or shared) in the new process."""
        return {"url": self.url, "retry_seconds": self.retry_seconds}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["retry_seconds"])  # type: ignore[misc]

    def _write(self, work):
        return run_transaction(self.engine, work, retry_seconds=self.retry_seconds)

    def _read(self, work):
        return run_transaction(self.engine, work, read=True, retry_seconds=self.retry_seconds)

    # -- studies --------------------------------------------------------------------------
    def create_study(
        self, name: str, directions: Sequence[str], attrs: dict[str, Any]
    ) -> StudyInfo:
        row = {
            "name": name,
            "directions": dumps(list(directions)),
            "attrs": dumps(attrs),
            "revision": 0,
            "next_number": 0,
            "created": time.time(),
        }
        try:
            study_id = self._write(
                lambda conn: conn.execute(
                    studies_table.insert().values(**row)
                ).inserted_primary_key[0]
            )
        except IntegrityError:
            raise DuplicatedStudyError(f"A study named {name!r} already exists.") from None
        return StudyInfo(study_id, name, tuple(directions), dict(attrs))

    @staticmethod
    def _study_from_row(row: Any) -> StudyInfo:
        def column(name: str, kind: type) -> Any:
            try:
                value = json.loads(getattr(row, name))
            except (TypeError, ValueError) as exc:
                value, problem = None, f"{type(exc).__name__}: {exc}"
            else:
                problem = None if isinstance(value, kind) else f"not a JSON {kind.__name__}"
            if problem is not None:
                raise StorageError(
                    f"Study {row.name!r} is damaged: its {name!r} column cannot be read "
                    f"({problem})."
                )
            return value

        directions = tuple(column("directions", list))
        return StudyInfo(row.id, row.name, directions, column("attrs", dict), row.next_number)

    def get_study(self, name: str) -> StudyInfo:
        row = self._read(
            lambda conn: conn.execute(select(studies_table).where(q._S.name == name)).first()
        )
        if row is None:
            raise StudyNotFoundError(f"No study named {name!r} in {self.url}.")
        return self._study_from_row(row)

    def list_studies(self) -> list[StudyInfo]:
        rows = self._read(lambda conn: conn.execute(select(studies_table).order_by(q._S.id)).all())
        return [self._study_from_row(r) for r in rows]

    # -- trials ---------------------------------------------------------------------------
    @staticmethod
    def _bump(conn: Connection, study_id: int) -> tuple[int, int]:
        """Take the study's write lock by bumping its revision; returns (revision, next_number)."""
        row = conn.execute(q.BUMP, {"sid": study_id}).first()
        if row is None:
            raise StudyNotFoundError(f"Study id {study_id} is not in the storage.")
        return row[0], row[1]

    @staticmethod
    def _changes(conn: Connection, study_id: int, since: int) -> list[FrozenTrial]:
        rows = conn.execute(q.CHANGES, {"sid": study_id, "since": since}).all()
        return [q.row_to_trial(r) for r in rows]

    def enqueue(self, study_id: int, proposals: Sequence[Proposal]) -> list[FrozenTrial]:
        def work(conn: Connection) -> list[FrozenTrial]:
            revision, number = self._bump(conn, study_id)
            waiting = TrialState.WAITING
            out = [
                rows.insert(conn, study_id, number + i, p, waiting, None, revision)
                for i, p in enumerate(proposals)
            ]
            conn.execute(q.SET_NEXT, {"sid": study_id, "next": number + len(out)})
            return out

        return self._write(work)

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
        owner_text = None if owner is None else dumps(owner)

        def work(conn: Connection) -> Claim:
            revision, first = self._bump(conn, study_id)
            now = time.time()
            number = rows.reap(conn, study_id, stale_before, retries, revision, first, now)
            changes = self._changes(conn, study_id, since)
            waiting = conn.execute(q.WAITING, {"sid": study_id, "n": n}).scalars().all()
            claimed: list[FrozenTrial] = []
            if waiting:
                ids = list(waiting)
                args = {"ids": ids, "now": now, "new_revision": revision, "owner": owner_text}
                conn.execute(q.CLAIM_WAITING, args)
                claimed = [q.row_to_trial(r) for r in conn.execute(q.BY_IDS, {"ids": ids})]
            written: list[FrozenTrial] = []
            need = n - len(claimed)
            for i, p in enumerate(propose(changes, number, need) if need > 0 else ()):
                run = i < need
                state = TrialState.RUNNING if run else TrialState.WAITING
                started, who = (now, owner_text) if run else (None, None)
                trial = rows.insert(conn, study_id, number, p, state, started, revision, who)
                (claimed if run else written).append(trial)
                number += 1
            if number != first:
                conn.execute(q.SET_NEXT, {"sid": study_id, "next": number})
            return Claim(changes, claimed, written, revision)

        return self._write(work)

    def release(self, study_id: int, trial_ids: Sequence[int]) -> int:
        if not trial_ids:
            return 0

        def work(conn: Connection) -> int:
            revision, _ = self._bump(conn, study_id)
            return rows.release(conn, study_id, trial_ids, revision)

        return self._write(work)

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        def work(conn: Connection) -> list[FrozenTrial]:
            revision, number = self._bump(conn, study_id)
            out = [
                rows.insert_finished(conn, study_id, number + i, t, revision)
                for i, t in enumerate(trials)
            ]
            conn.execute(q.SET_NEXT, {"sid": study_id, "next": number + len(out)})
            return out

        return self._write(work)

    def set_study_attrs(self, study_id: int, attrs: dict[str, Any]) -> None:
        statement = studies_table.update().where(q._S.id == study_id).values(attrs=dumps(attrs))
        self._write(lambda conn: conn.execute(statement))

    def set_user_attr(self, study_id: int, number: int, key: str, value: Any) -> FrozenTrial:
        def work(conn: Connection) -> FrozenTrial:
            revision, _ = self._bump(conn, study_id)
            return rows.set_user_attr(conn, study_id, number, key, value, revision)

        return self._write(work)

    def delete_study(self, study_id: int) -> None:
        def work(conn: Connection) -> None:
            conn.execute(q.DELETE_TRIALS, {"sid": study_id})
            conn.execute(q.DELETE_STUDY, {"sid": study_id})

        self._write(work)

    def running(self, study_id: int) -> list[Running]:
        return self._read(lambda conn: rows.running(conn, study_id))

    def finish(self, study_id, trial, state, values, error, finished) -> FrozenTrial:
        args = {
            "tid": trial.trial_id,
            "new_state": state.value,
            "new_params": dumps(trial.params),
            "new_dists": q.dists_json(trial.distributions),
            "new_values": dumps(list(values)) if values is not None else None,
            "new_intermediate": dumps({str(k): v for k, v in trial.intermediate.items()}),
            "new_user_attrs": dumps(trial.user_attrs),
            "new_error": error,
            "new_finished": finished,
        }

        def work(conn: Connection) -> Any:
            revision, _ = self._bump(conn, study_id)
            row = conn.execute(q.FINISH, {**args, "new_revision": revision}).first()
            if row is not None:
                system = {**json.loads(row.system_attrs), **trial.system_attrs}
                if trial.system_attrs:  # a traceback or a gradient joins the stored keys
                    conn.execute(q.SET_SYSTEM, {"tid": trial.trial_id, "new_system": dumps(system)})
                return row.started, system
            current = conn.execute(q.BY_IDS, {"ids": [trial.trial_id]}).first()
            if (
                current is not None
                and current.finished == finished
                and current.state == state.value
            ):
                # our own commit, whose acknowledgement a lost connection ate
                return current.started, json.loads(current.system_attrs)
            if current is not None and json.loads(current.system_attrs).get(SystemKey.LOST):
                raise lost_error(trial.number, current.error, values)
            got = current.state if current is not None else "missing"
            raise StorageError(
                f"Trial {trial.number} is {got}, not RUNNING; a finished trial is "
                "never overwritten."
            )

        started, system = self._write(work)
        return replace(
            trial,
            state=state,
            values=values,
            system_attrs=system,
            error=error,
            started=started,
            finished=finished,
        )

    def heartbeat(self, study_id: int, trial_ids: Sequence[int], now: float) -> None:
        if trial_ids:
            self._write(
                lambda conn: conn.execute(q.HEARTBEAT, {"ids": list(trial_ids), "now": now})
            )

    def read(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        def work(conn: Connection) -> tuple[list[FrozenTrial], int]:
            revision = conn.execute(q.REVISION, {"sid": study_id}).scalar_one_or_none()
            if revision is None:
                raise StudyNotFoundError(f"Study id {study_id} is not in the storage.")
            if revision <= since:
                return [], revision
            return self._changes(conn, study_id, since), revision

        return self._read(work)
