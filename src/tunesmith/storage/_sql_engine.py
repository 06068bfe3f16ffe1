"""SQLAlchemy engines for tunesmith: SQLite write-lock discipline, PostgreSQL via psycopg 3,
one engine per URL and process, and retrying a transaction across lost connections."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from tunesmith.storage.base import StorageError

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
R = TypeVar("R")


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
        # No pre-ping: a dead pooled connection fails its transaction, which run_transaction
        # retries on a fresh one; pinging every checkout would cost a round trip per transaction.
        return create_engine(parsed, pool_size=4, max_overflow=16)
    except ModuleNotFoundError as exc:
        raise ImportError(
            'PostgreSQL storage needs psycopg: pip install "tunesmith[postgres]"'
        ) from exc


def normalize_url(url: str) -> str:
    """The URL with a relative SQLite path made absolute, so a later chdir cannot redirect it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "The 'storage' parameter must be None, a Storage, 'sqlite:///PATH' or "
            f"'postgresql://...'. Got {url!r} instead."
        ) from None
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not os.path.isabs(db):
        return parsed.set(database=os.path.abspath(db)).render_as_string(hide_password=False)
    return url


def engine_for(url: str) -> Engine:
    """One engine per URL and process (engines are dropped in a forked child)."""
    url = normalize_url(url)
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


def _retryable(exc: DBAPIError, dialect: str) -> bool:
    """Lost or refused connections and lock timeouts: worth another try after a pause."""
    if exc.connection_invalidated:
        return True
    if dialect == "sqlite":
        text = str(exc.orig).lower()
        return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)
    return isinstance(exc, (OperationalError, InterfaceError))


def run_transaction(
    engine: Engine,
    work: Callable[[Connection], R],
    *,
    read: bool = False,
    retry_seconds: float = 60.0,
) -> R:
    """Run ``work`` in one transaction, retrying with exponential backoff on connection loss.

    After ``retry_seconds`` without success the last error becomes a StorageError naming the
    database. ``work`` must be safe to run again: it sees a fresh transaction each time.
    """
    deadline = time.monotonic() + retry_seconds
    delay = 0.05
    while True:
        try:
            conn = engine.connect()
            if read:
                conn = conn.execution_options(tunesmith_read=True)
            with conn, conn.begin():
                return work(conn)
        except DBAPIError as exc:
            if not _retryable(exc, engine.dialect.name):
                raise
            if time.monotonic() + delay > deadline:
                raise StorageError(
                    f"Lost the connection to {engine.url.render_as_string(hide_password=True)} "
                    f"and could not get it back within {retry_seconds:g} s: {exc.orig}"
                ) from exc
            time.sleep(delay)  # back off before reconnecting; the pool drops dead connections
            delay = min(delay * 2, 2.0)
