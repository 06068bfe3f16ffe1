"""Narrow reads of a SQL storage for the dashboard's first view (the rule: read only the columns
a figure needs). Read-only SELECTs over the storage's own engine, on SQLite and PostgreSQL alike.

``light`` reads number, state, values (each objective extracted from the JSON by the database),
times and constraint values of the trials changed after a revision, as columns: no parameters,
attributes or distributions to parse, no trial objects; ``latest`` reads the table's last rows.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.engine import Engine

from tunesmith.dashboard.columns import LightColumns
from tunesmith.storage import Storage, StudyNotFoundError
from tunesmith.storage.schema import studies_table, trials_table

__all__ = ["NarrowReader", "engine_of"]

_T, _S = trials_table.c, studies_table.c
_TABLE = (
    _T.number,
    _T.state,
    _T.values_json,
    _T.started,
    _T.finished,
    _T.params,
    _T.user_attrs,
    _T.system_attrs,
    _T.error,
    _T.intermediate,
)


def engine_of(storage: Storage) -> Engine | None:
    """The SQLAlchemy engine of a SQL storage; None for any other storage."""
    engine = getattr(storage, "engine", None)
    return engine if isinstance(engine, Engine) else None


def _values(text: str | None) -> tuple[float, ...] | None:
    """Stored values JSON as a tuple (None stays None)."""
    if text is None:
        return None
    parsed = json.loads(text)
    return None if parsed is None else tuple(parsed)


def _object(text: str | None) -> dict[str, Any]:
    """A stored JSON object; an unreadable one shows as empty."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def table_row(row: Any) -> dict[str, Any]:
    """A trial as the table shows it, straight from its stored columns (``data.trial_row``'s
    shape)."""
    system = _object(row.system_attrs)
    intermediate = _object(row.intermediate)
    return {
        "number": row.number,
        "state": row.state,
        "values": None if (v := _values(row.values_json)) is None else list(v),
        "params": _object(row.params),
        "user_attrs": _object(row.user_attrs),
        "error": row.error,
        "traceback": system.get("traceback"),
        "constraints": system.get("constraints"),
        "started": row.started,
        "finished": row.finished,
        "intermediate": {k: intermediate[k] for k in sorted(intermediate, key=int)},
    }


def _fetch(conn: Any, query: Any) -> list[tuple]:
    """The rows of ``query`` (integer and constant arguments only) as plain tuples, read on
    the connection's own cursor: a hundred thousand rows without a Row object each."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


class NarrowReader:
    """Read-only narrow queries over one SQL engine (a read transaction each)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _revision(self, conn: Any, study_id: int) -> int:
        revision = conn.execute(select(_S.revision).where(_S.id == study_id)).scalar_one_or_none()
        if revision is None:
            raise StudyNotFoundError(f"Study id {study_id} is not in the storage.")
        return int(revision)

    def _value(self, k: int) -> Any:
        """Objective ``k`` of the stored values JSON, extracted by the database as a float."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return cast(cast(_T.values_json, JSONB)[k].astext, Float)
        return func.json_extract(_T.values_json, f"$[{k}]")

    def _constraints(self) -> Any:
        """The stored constraint values (JSON text; NULL when none), extracted by the database."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return cast(_T.system_attrs, JSONB)["constraints"].astext
        return func.json_extract(_T.system_attrs, "$.constraints")

    def light(self, study_id: int, since: int, n_objectives: int) -> tuple[LightColumns, int]:
        """Light columns (numbers, states, values, started, finished, constraints) of the trials
        changed after revision ``since``, up to the revision returned."""
        values = [self._value(k) for k in range(n_objectives)]
        with self.engine.connect().execution_options(tunesmith_read=True) as conn:
            revision = self._revision(conn, study_id)  # begins the read transaction
            if revision <= since:
                return LightColumns.empty(n_objectives), revision
            query = select(
                _T.number, _T.state, _T.started, _T.finished, *values, self._constraints()
            )
            if since > 0:
                query = query.where(_T.revision > since, _T.revision <= revision)
            # a first read takes every row (one changed after ``revision`` comes again later)
            rows = _fetch(conn, query.where(_T.study_id == study_id))
        return LightColumns.of(rows, n_objectives), revision

    def latest(self, study_id: int, last: int) -> tuple[list[dict[str, Any]], int]:
        """Table rows of the ``last`` highest trial numbers, by number, and the revision."""
        with self.engine.connect().execution_options(tunesmith_read=True) as conn:
            revision = self._revision(conn, study_id)
            rows = conn.execute(  # the newest rows, even if changed after ``revision``
                select(*_TABLE)
                .where(_T.study_id == study_id)
                .order_by(_T.number.desc())
                .limit(last)
            ).all()
        return [table_row(r) for r in reversed(rows)], revision
