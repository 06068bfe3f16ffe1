import os
import uuid

import pytest

from tunesmith.storage import InMemoryStorage

try:
    from _postgres import postgres_server
except ImportError:  # pragma: no cover - the file sits beside this one
    postgres_server = None


# With TUNESMITH_NO_IMPORT_SKIPS=1 (set by .ci/run) a test or module skipped because a module
# could not be imported fails instead: every optional dependency the tests use is in the
# [test] extra, so such a skip means a broken install, not an optional feature.
_IMPORT_SKIP_MARKS = ("could not import", "No module named", "is not installed")


def _import_skip_reason(report) -> str | None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return None
    if os.environ.get("TUNESMITH_NO_IMPORT_SKIPS", "") in ("", "0"):
        return None
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason if any(mark in reason for mark in _IMPORT_SKIP_MARKS) else None


def _fail_import_skip(report) -> None:
    reason = _import_skip_reason(report)
    if reason is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"{reason}\nSkipped for a missing module, which TUNESMITH_NO_IMPORT_SKIPS=1 forbids: "
            'install it (pip install -e ".[test]"; add it to the [test] extra if it is missing).'
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_import_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_import_skip(outcome.get_result())


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


@pytest.fixture(scope="module")
def digits() -> dict:
    """The first 200 digits for training and the next 100 for validation, scaled to [0, 1]
    (population tests; a test module may define its own ``digits``)."""
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:200], "y": y[:200], "X_val": x[200:300], "y_val": y[200:300]}
