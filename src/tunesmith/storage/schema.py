"""The SQL schema (SQLAlchemy Core) and its version check."""

from __future__ import annotations

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
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from tunesmith.storage.base import StorageError

SCHEMA_VERSION = 1

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
    Column("revision", Integer, nullable=False),
    UniqueConstraint("study_id", "number", name="uq_tunesmith_trial_number"),
    Index("ix_tunesmith_trials_revision", "study_id", "revision"),
    Index("ix_tunesmith_trials_state", "study_id", "state", "number"),
)

TABLE_NAMES = {t.name for t in metadata.sorted_tables}


Transaction = Callable[[Callable[[Connection], Any]], Any]


def ensure_schema(url: str, engine: Engine, read: Transaction, write: Transaction) -> None:
    """Check the database holds our schema at our version, creating it in an empty one;
    StorageError for another version or a database that is not tunesmith's (left as it was)."""

    def look(conn: Connection) -> tuple[set[str], Any]:
        tables = set(inspect(conn).get_table_names())
        version = None
        if meta_table.name in tables:
            version = conn.execute(
                select(meta_table.c.value).where(meta_table.c.key == "schema_version")
            ).scalar()
        return tables, version

    try:
        tables, version = read(look)
    except DatabaseError as exc:
        raise StorageError(f"{url} cannot be opened as a tunesmith database: {exc.orig}") from None
    if meta_table.name in tables:
        if version != str(SCHEMA_VERSION):
            raise StorageError(
                f"{url} holds tunesmith schema version {version}; this tunesmith reads "
                f"version {SCHEMA_VERSION}."
            )
        return
    if tables:
        raise StorageError(
            f"{url} is not a tunesmith database (it has tables {sorted(tables)[:5]} "
            "and no tunesmith_meta); it was left as it was."
        )
    _create_schema(url, engine, write)


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
