"""SQLAlchemy engines for tunesmith: SQLite write-lock discipline, PostgreSQL via psycopg 3,
one engine per URL and process, and retrying a transaction across lost connections."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from tunesmith.interrupts import deferred
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
        engine = create_engine(parsed, pool_size=4, max_overflow=16)
    except ModuleNotFoundError as exc:
        raise ImportError(
            'PostgreSQL storage needs psycopg: pip install "tunesmith[postgres]"'
        ) from exc

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, _record: Any) -> None:
        _REACHED.add(engine.url)  # from now on a failure is a lost connection

    return engine


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
            _SHOWN[engine.url] = display_url(url)
        return engine


def _forget_engines_in_child() -> None:
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


os.register_at_fork(after_in_child=_forget_engines_in_child)


# Connection failures that no retry can heal, as the server (or the resolver) words them, and
# what tunesmith says instead; libpq reports them as text only (no SQLSTATE before a session).
_BAD_LOGIN = (
    (
        r'password authentication failed for user "([^"]*)"',
        "password authentication failed for user {0!r}",
    ),
    (r"no password supplied", "the server asks for a password and the URL gives none"),
    (r'role "([^"]*)" does not exist', "role {0!r} does not exist"),
    (r'database "([^"]*)" does not exist', "database {0!r} does not exist"),
    (r"no pg_hba\.conf entry", "the server's pg_hba.conf admits no such login"),
    (r"(\w+) authentication failed", "{0} authentication failed"),
)
# An unknown host name is final on first contact only: a server once reached may drop out of
# DNS while it restarts. A temporary resolver failure is always retried.
_NO_SUCH_HOST = r"""\bhost(?: name)? ['"]([^'"]*)['"].*(?:not known|No address associated)"""
FIRST_CONTACT_SECONDS = 10.0  # how long a server never reached yet is waited for
_REACHED: set[URL] = set()  # engine URLs this process (or its parent) has connected to
_SHOWN: dict[URL, str] = {}  # engine URL -> the URL as its user wrote it, without the password


def display_url(url: str | URL) -> str:
    """The URL to show in a message: a SQLite file as its path, any other without its password."""
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:":
        return db
    return parsed.render_as_string(hide_password=True)


def shown_url(engine: Engine) -> str:
    """The engine's database for a message: as its user wrote the URL, without the password."""
    return _SHOWN.get(engine.url) or display_url(engine.url)


def unhealable(exc: DBAPIError, reached: bool) -> str | None:
    """What is wrong, for a connection error no retry can heal (bad login, database or host)."""
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig)
    for pattern, message in _BAD_LOGIN:
        found = re.search(pattern, text)
        if found:
            return message.format(*found.groups())
    found = None if reached else re.search(_NO_SUCH_HOST, text)
    return None if found is None else f"the host name {found.group(1)!r} is unknown"


def _retryable(exc: DBAPIError, dialect: str) -> bool:
    """Lost or refused connections and lock timeouts: worth another try after a pause."""
    if exc.connection_invalidated:
        return True
    if dialect == "sqlite":
        text = str(exc.orig).lower()
        return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)
    return isinstance(exc, (OperationalError, InterfaceError))


def _gave_up(engine: Engine, exc: DBAPIError, seconds: float, reached: bool) -> StorageError:
    """The error after the last retry: lost (it had connected before), unreachable, or locked."""
    where = shown_url(engine)
    first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else repr(exc)
    if engine.dialect.name == "sqlite":
        return StorageError(f"{where} stayed locked for {seconds:g} s: {first_line}")
    if reached:
        return StorageError(
            f"Lost the connection to {where} and could not get it back within {seconds:g} s: "
            f"{first_line}"
        )
    return StorageError(
        f"Could not reach the database server of {where} within {seconds:g} s (is it running, "
        f"and are the host and port right?): {first_line}"
    )


def run_transaction(
    engine: Engine,
    work: Callable[[Connection], R],
    *,
    read: bool = False,
    retry_seconds: float = 60.0,
) -> R:
    """Run ``work`` in one transaction, retrying with exponential backoff on connection loss.

    A bad login, database or host name fails at once; a server never reached is waited for
    at most FIRST_CONTACT_SECONDS; then the last error becomes a StorageError naming the
    database. ``work`` must be safe to run again: it sees a fresh transaction each time.
    """
    start = time.monotonic()
    delay = 0.05
    while True:
        try:
            # A Ctrl-C inside would leave the connection half-returned, maybe holding the
            # write lock that the put-back after it then waits for: it waits for the commit.
            with deferred():
                conn = engine.connect()
                if read:
                    conn = conn.execution_options(tunesmith_read=True)
                with conn, conn.begin():
                    return work(conn)
        except DBAPIError as exc:
            dialect = engine.dialect.name
            reached = dialect == "sqlite" or engine.url in _REACHED
            reason = None if dialect == "sqlite" else unhealable(exc, reached)
            if reason is not None:
                raise StorageError(f"Cannot connect to {shown_url(engine)}: {reason}.") from None
            if not _retryable(exc, dialect):
                raise
            window = retry_seconds if reached else min(retry_seconds, FIRST_CONTACT_SECONDS)
            if time.monotonic() + delay > start + window:
                raise _gave_up(engine, exc, window, reached) from None
            time.sleep(delay)  # back off before reconnecting; the pool drops dead connections
            delay = min(delay * 2, 2.0)
