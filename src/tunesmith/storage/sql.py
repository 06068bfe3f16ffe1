"""SQL storage over SQLAlchemy Core: SQLite (embedded default) and PostgreSQL (many machines).

Each ask is one transaction and each tell is one. Writers first bump the study's revision; on
SQLite the transaction begins IMMEDIATE (the write lock is taken up front, so concurrent
processes queue on ``busy_timeout`` instead of failing with "database is locked"), and on
PostgreSQL the bump's row lock serializes writers of one study. Readers ask only for rows whose
revision is newer than the last one they saw.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, create_engine, event, inspect, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from tunesmith.space import Distribution
from tunesmith.storage.base import (
    Claim,
    DuplicatedStudyError,
    Proposal,
    ProposeFn,
    Storage,
    StorageError,
    StudyInfo,
    StudyNotFoundError,
    dumps,
)
from tunesmith.storage.schema import (
    SCHEMA_VERSION,
    TABLE_NAMES,
    meta_table,
    metadata,
    studies_table,
    trials_table,
)
from tunesmith.trial import FrozenTrial, TrialState

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_T = trials_table.c
_S = studies_table.c

# Statements built once; SQLAlchemy caches their compiled form, so a trial costs only execution.
_BUMP = (
    update(studies_table)
    .where(_S.id == bindparam("sid"))
    .values(revision=_S.revision + 1)
    .returning(_S.revision, _S.next_number)
)
_SET_NEXT = (
    update(studies_table).where(_S.id == bindparam("sid")).values(next_number=bindparam("next"))
)
_CHANGES = (
    select(trials_table)
    .where(_T.study_id == bindparam("sid"), _T.revision > bindparam("since"))
    .order_by(_T.number)
)
_WAITING = (
    select(_T.id)
    .where(_T.study_id == bindparam("sid"), _T.state == TrialState.WAITING.value)
    .order_by(_T.number)
    .limit(bindparam("n"))
)
_INSERT = trials_table.insert()
_REVISION = select(_S.revision).where(_S.id == bindparam("sid"))
_FINISH = (
    update(trials_table)
    .where(_T.id == bindparam("tid"), _T.state == TrialState.RUNNING.value)
    .values(
        state=bindparam("new_state"),
        params=bindparam("new_params"),
        distributions=bindparam("new_dists"),
        values_json=bindparam("new_values"),
        intermediate=bindparam("new_intermediate"),
        user_attrs=bindparam("new_user_attrs"),
        error=bindparam("new_error"),
        finished=bindparam("new_finished"),
        revision=bindparam("new_revision"),
    )
    .returning(_T.started, _T.system_attrs)
)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 600, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 600000")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "DEFERRED" if conn.get_execution_options().get("tunesmith_read") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgres_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise ImportError(
            'PostgreSQL storage needs psycopg: pip install "tunesmith[postgres]"'
        ) from exc


def engine_for(url: str) -> Engine:
    """One engine per URL and process (engines are dropped in a forked child)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            elif url.startswith("postgresql"):
                engine = _postgres_engine(url)
            else:
                raise ValueError(
                    "The 'storage' parameter must be None, a Storage, 'sqlite:///PATH' or "
                    f"'postgresql://...'. Got {url!r} instead."
                )
            _ENGINES[url] = engine
        return engine


def _forget_engines_in_child() -> None:
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


os.register_at_fork(after_in_child=_forget_engines_in_child)


@lru_cache(maxsize=4096)
def _dists(text_: str) -> dict[str, Distribution]:
    return {k: Distribution.from_json(v) for k, v in json.loads(text_).items()}


def _row_to_trial(row: Any) -> FrozenTrial:
    values = json.loads(row.values_json) if row.values_json is not None else None
    return FrozenTrial(
        number=row.number,
        state=TrialState(row.state),
        params=json.loads(row.params),
        distributions=dict(_dists(row.distributions)),
        values=tuple(values) if values is not None else None,
        intermediate={int(k): v for k, v in json.loads(row.intermediate).items()},
        user_attrs=json.loads(row.user_attrs),
        system_attrs=json.loads(row.system_attrs),
        error=row.error,
        started=row.started,
        finished=row.finished,
        trial_id=row.id,
    )


def _dists_json(dists: dict[str, Distribution]) -> str:
    return dumps({k: d.to_json() for k, d in dists.items()})


class SQLStorage(Storage):
    """Studies in a SQL database: ``sqlite:///path.db`` or ``postgresql://user@host/db``."""

    def __init__(self, url: str):
        self.url = url
        self.engine = engine_for(url)
        self._check_schema()

    def __repr__(self) -> str:
        return f"SQLStorage({self.url!r})"

    # -- schema ---------------------------------------------------------------------------
    def _check_schema(self) -> None:
        try:
            with self.engine.connect().execution_options(tunesmith_read=True) as conn:
                tables = set(inspect(conn).get_table_names())
                version = None
                if meta_table.name in tables:
                    row = conn.execute(
                        select(meta_table.c.value).where(meta_table.c.key == "schema_version")
                    ).first()
                    version = row[0] if row else None
        except DatabaseError as exc:
            raise StorageError(
                f"{self.url} cannot be opened as a tunesmith database: {exc.orig}"
            ) from None
        if meta_table.name in tables:
            if version != str(SCHEMA_VERSION):
                raise StorageError(
                    f"{self.url} holds tunesmith schema version {version}; this tunesmith reads "
                    f"version {SCHEMA_VERSION}."
                )
            return
        if tables:
            raise StorageError(
                f"{self.url} is not a tunesmith database (it has tables {sorted(tables)[:5]} "
                "and no tunesmith_meta); it was left as it was."
            )
        self._create_schema()

    def _create_schema(self) -> None:
        if self.engine.dialect.name == "sqlite":
            raw = (
                self.engine.raw_connection()
            )  # autocommit: the mode cannot change in a transaction
            try:
                raw.driver_connection.execute("PRAGMA journal_mode = WAL")
            finally:
                raw.close()
        try:
            with self.engine.begin() as conn:
                metadata.create_all(conn, checkfirst=True)
                conn.execute(
                    meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
                )
        except IntegrityError:
            pass  # another process created it at the same time
        except OperationalError as exc:
            if "already exists" not in str(exc):
                raise
        missing = TABLE_NAMES - set(inspect(self.engine).get_table_names())
        if missing:
            raise StorageError(f"{self.url}: could not create tables {sorted(missing)}.")

    # -- studies --------------------------------------------------------------------------
    def create_study(
        self, name: str, directions: Sequence[str], attrs: dict[str, Any]
    ) -> StudyInfo:
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    studies_table.insert().values(
                        name=name,
                        directions=dumps(list(directions)),
                        attrs=dumps(attrs),
                        revision=0,
                        next_number=0,
                        created=time.time(),
                    )
                )
                study_id = result.inserted_primary_key[0]
        except IntegrityError:
            raise DuplicatedStudyError(f"A study named {name!r} already exists.") from None
        return StudyInfo(study_id, name, tuple(directions), dict(attrs))

    def _study_from_row(self, row: Any) -> StudyInfo:
        return StudyInfo(
            row.id,
            row.name,
            tuple(json.loads(row.directions)),
            json.loads(row.attrs),
            row.next_number,
        )

    def get_study(self, name: str) -> StudyInfo:
        with self.engine.connect().execution_options(tunesmith_read=True) as conn:
            row = conn.execute(select(studies_table).where(_S.name == name)).first()
        if row is None:
            raise StudyNotFoundError(f"No study named {name!r} in {self.url}.")
        return self._study_from_row(row)

    def list_studies(self) -> list[StudyInfo]:
        with self.engine.connect().execution_options(tunesmith_read=True) as conn:
            rows = conn.execute(select(studies_table).order_by(_S.id)).all()
        return [self._study_from_row(r) for r in rows]

    # -- trials ---------------------------------------------------------------------------
    @staticmethod
    def _bump(conn: Connection, study_id: int) -> tuple[int, int]:
        """Take the study's write lock by bumping its revision; returns (revision, next_number)."""
        row = conn.execute(_BUMP, {"sid": study_id}).first()
        if row is None:
            raise StudyNotFoundError(f"Study id {study_id} is not in {conn.engine.url}.")
        return row[0], row[1]

    @staticmethod
    def _changes(conn: Connection, study_id: int, since: int) -> list[FrozenTrial]:
        rows = conn.execute(_CHANGES, {"sid": study_id, "since": since}).all()
        return [_row_to_trial(r) for r in rows]

    def _insert(
        self,
        conn: Connection,
        study_id: int,
        number: int,
        p: Proposal,
        state: TrialState,
        started: float | None,
        revision: int,
    ) -> FrozenTrial:
        params, dists, sys_attrs = (
            dumps(p.params),
            _dists_json(p.distributions),
            dumps(p.system_attrs),
        )
        row = {
            "study_id": study_id,
            "number": number,
            "state": state.value,
            "params": params,
            "distributions": dists,
            "values_json": None,
            "intermediate": "{}",
            "user_attrs": "{}",
            "system_attrs": sys_attrs,
            "error": None,
            "started": started,
            "finished": None,
            "heartbeat": started,
            "revision": revision,
        }
        result = conn.execute(_INSERT, row)
        return FrozenTrial(
            number,
            state,
            json.loads(params),
            dict(p.distributions),
            system_attrs=json.loads(sys_attrs),
            started=started,
            trial_id=result.inserted_primary_key[0],
        )

    def enqueue(self, study_id: int, proposals: Sequence[Proposal]) -> list[FrozenTrial]:
        with self.engine.begin() as conn:
            revision, number = self._bump(conn, study_id)
            out = [
                self._insert(conn, study_id, number + i, p, TrialState.WAITING, None, revision)
                for i, p in enumerate(proposals)
            ]
            conn.execute(_SET_NEXT, {"sid": study_id, "next": number + len(out)})
            return out

    def claim(self, study_id: int, since: int, n: int, propose: ProposeFn) -> Claim:
        with self.engine.begin() as conn:
            revision, number = self._bump(conn, study_id)
            changes = self._changes(conn, study_id, since)
            now = time.time()
            waiting = conn.execute(_WAITING, {"sid": study_id, "n": n}).scalars().all()
            claimed: list[FrozenTrial] = []
            if waiting:
                conn.execute(
                    update(trials_table)
                    .where(_T.id.in_(waiting))
                    .values(
                        state=TrialState.RUNNING.value,
                        started=now,
                        heartbeat=now,
                        revision=revision,
                    )
                )
                rows = conn.execute(
                    select(trials_table).where(_T.id.in_(waiting)).order_by(_T.number)
                ).all()
                claimed = [_row_to_trial(r) for r in rows]
            written: list[FrozenTrial] = []
            if len(claimed) < n:
                need = n - len(claimed)
                proposals = list(propose(changes, number, need))
                for i, p in enumerate(proposals):
                    running = i < need
                    trial = self._insert(
                        conn,
                        study_id,
                        number + i,
                        p,
                        TrialState.RUNNING if running else TrialState.WAITING,
                        now if running else None,
                        revision,
                    )
                    (claimed if running else written).append(trial)
                if proposals:
                    conn.execute(_SET_NEXT, {"sid": study_id, "next": number + len(proposals)})
            return Claim(changes, claimed, written, revision)

    def finish(self, study_id, trial, state, values, error, finished) -> FrozenTrial:
        with self.engine.begin() as conn:
            revision, _ = self._bump(conn, study_id)
            row = conn.execute(
                _FINISH,
                {
                    "tid": trial.trial_id,
                    "new_state": state.value,
                    "new_params": dumps(trial.params),
                    "new_dists": _dists_json(trial.distributions),
                    "new_values": dumps(list(values)) if values is not None else None,
                    "new_intermediate": dumps({str(k): v for k, v in trial.intermediate.items()}),
                    "new_user_attrs": dumps(trial.user_attrs),
                    "new_error": error,
                    "new_finished": finished,
                    "new_revision": revision,
                },
            ).first()
            if row is None:
                raise StorageError(
                    f"Trial {trial.number} is not RUNNING; a finished trial is never overwritten."
                )
        return FrozenTrial(
            trial.number,
            state,
            trial.params,
            trial.distributions,
            values,
            trial.intermediate,
            trial.user_attrs,
            json.loads(row.system_attrs),
            error,
            row.started,
            finished,
            trial.trial_id,
        )

    def read(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        with self.engine.connect().execution_options(tunesmith_read=True) as conn, conn.begin():
            revision = conn.execute(_REVISION, {"sid": study_id}).scalar_one()
            if revision <= since:
                return [], revision
            return self._changes(conn, study_id, since), revision
