import os
import uuid

import pytest

from tunesmith.storage import InMemoryStorage

try:
    from _postgres import postgres_server
except ImportError:  # pragma: no cover - the file sits beside this one
    postgres_server = None


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server; skipped where none is installed, unless CI requires it."""
    try:
        import psycopg  # noqa: F401

        manager = postgres_server()
        url, handle = manager.__enter__()
    except (FileNotFoundError, ImportError, KeyError) as exc:
        if os.environ.get("TUNESMITH_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"no PostgreSQL server here: {exc}")
    try:
        yield url, handle
    finally:
        manager.__exit__(None, None, None)


def _fresh_database(server_url: str) -> str:
    """A new empty database on the server, so each test starts clean."""
    from sqlalchemy import create_engine, text

    name = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def storage(request, tmp_path):
    """Every storage backend; the conformance suite runs over each."""
    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    server_url, _ = request.getfixturevalue("postgres")
    return _fresh_database(server_url)
