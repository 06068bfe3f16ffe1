"""The SQL schema (SQLAlchemy Core) and its version check."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    inspect,
    select,
)
from sqlalchemy import Table as _Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError

from tunesmith.storage._sql_engine import display_url
from tunesmith.storage.base import StorageError, StudyNotFoundError

SCHEMA_VERSION = 2  # 2: trials record their owner (host, pid, start time)

metadata = MetaData()

meta_table = _Table(
    "tunesmith_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

studies_table = _Table(
    "tunesmith_studies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("directions", Text, nullable=False),
    Column("attrs", Text, nullable=False),
    Column("revision", Integer, nullable=False, default=0),
    Column("next_number", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
)

trials_table = _Table(
    "tunesmith_trials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("tunesmith_studies.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("params", Text, nullable=False),
    Column("distributions", Text, nullable=False),
    Column("values_json", Text),
    Column("intermediate", Text, nullable=False),
    Column("user_attrs", Text, nullable=False),
    Column("system_attrs", Text, nullable=False),
    Column("error", Text),
    Column("started", Float),
    Column("finished", Float),
    Column("heartbeat", Float),
    Column("owner", Text),
    Column("revision", Integer, nullable=False),
    UniqueConstraint("study_id", "number", name="uq_tunesmith_trial_number"),
    Index("ix_tunesmith_trials_revision", "study_id", "revision"),
    Index("ix_tunesmith_trials_state", "study_id", "state", "number"),
)

TABLE_NAMES = {t.name for t in metadata.sorted_tables}


Transaction = Callable[[Callable[[Connection], Any]], Any]


def ensure_schema(
    url: str, engine: Engine, read: Transaction, write: Transaction, *, create: bool = True
) -> None:
    """Our complete schema at our version, created in an empty database only when ``create``;
    StorageError for another version, a damaged or a foreign database (left as it was)."""
    where = display_url(url)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    on_disk = path and path != ":memory:" and not path.startswith("file:")
    if not create and on_disk and not os.path.exists(path):
        raise StudyNotFoundError(f"No tunesmith database at {where}; nothing was created.")
    try:
        tables, version = read(_look)
    except DatabaseError as exc:
        raise StorageError(
            f"{where} cannot be opened as a tunesmith database: {exc.orig}"
        ) from None
    ours = tables & TABLE_NAMES
    if ours and ours != TABLE_NAMES:
        raise StorageError(
            f"{where} is a damaged tunesmith database: table(s) {sorted(TABLE_NAMES - ours)} "
            "are missing. Restore it from a backup, or move it aside to start afresh."
        )
    if ours:
        if version == "1":
            _upgrade_from_1(write)
        elif version != str(SCHEMA_VERSION):
            raise StorageError(
                f"{where} holds tunesmith schema version {version}; this tunesmith reads "
                f"version {SCHEMA_VERSION}."
            )
        return
    if tables:
        raise StorageError(
            f"{where} is not a tunesmith database (it has tables {sorted(tables)[:5]} "
            "and no tunesmith_meta); it was left as it was."
        )
    if not create:
        raise StudyNotFoundError(
            f"No tunesmith database at {where} (it holds no tables); nothing was written."
        )
    try:
        _create_schema(where, engine, write)
    except DBAPIError as exc:  # no right to create tables there, say
        reason = str(exc.orig).strip().splitlines()[0]
        raise StorageError(f"{where}: cannot create tunesmith's tables there: {reason}") from None


def _look(conn: Connection) -> tuple[set[str], Any]:
    """The database's table names and our stored schema version (None without tunesmith_meta)."""
    tables = set(inspect(conn).get_table_names())
    version = None
    if meta_table.name in tables:
        version = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar()
    return tables, version


def _upgrade_from_1(write: Transaction) -> None:
    """Version 1 -> 2: add the trials' owner column (NULL for trials recorded before)."""

    def upgrade(conn: Connection) -> None:
        version = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar()
        if version != "1":
            return  # another process upgraded it first
        conn.exec_driver_sql(f"ALTER TABLE {trials_table.name} ADD COLUMN owner TEXT")
        conn.execute(
            meta_table.update()
            .where(meta_table.c.key == "schema_version")
            .values(value=str(SCHEMA_VERSION))
        )

    write(upgrade)


def _create_schema(url: str, engine: Engine, write: Transaction) -> None:
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # autocommit: the mode cannot change in a transaction
        try:
            raw.driver_connection.execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()

    def create(conn: Connection) -> None:
        metadata.create_all(conn, checkfirst=True)
        conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    try:
        write(create)
    except IntegrityError:
        pass  # another process created it at the same time
    except (OperationalError, StorageError) as exc:
        if "already exists" not in str(exc):
            raise
    missing = TABLE_NAMES - set(inspect(engine).get_table_names())
    if missing:
        raise StorageError(f"{url}: could not create tables {sorted(missing)}.")
