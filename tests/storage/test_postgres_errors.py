"""PostgreSQL connection errors: what cannot heal fails at once and says what is wrong; what can
heal is retried, and the final message tells a lost connection from a server never reached."""

import socket
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, event, inspect, text

from conftest import _fresh_database
from tunesmith.storage import StorageError, StudyNotFoundError, _sql_engine, get_storage
from tunesmith.storage.sql import SQLStorage

RETRY = 30.0  # long enough that finishing well inside it proves no retry happened


@pytest.fixture
def no_short_first_contact(monkeypatch):
    """Wait for a never-reached server as long as for a lost one, so only the rule ends early."""
    monkeypatch.setattr(_sql_engine, "FIRST_CONTACT_SECONDS", RETRY)


def _admin(server_url):
    return create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )


def _port(server_url):
    return server_url.rsplit(":", 1)[1].split("/")[0]


def _open_fails_at_once(url):
    start = time.monotonic()
    with pytest.raises(StorageError) as info:
        SQLStorage(url, retry_seconds=RETRY)
    assert time.monotonic() - start < RETRY / 2
    assert info.value.__cause__ is None  # one message, no driver traceback chained to it
    return str(info.value)


def test_missing_database_fails_at_once_naming_it(postgres, no_short_first_contact):
    server_url, _ = postgres
    url = f"postgresql://tunesmith:s3cret@127.0.0.1:{_port(server_url)}/no_such_db"
    message = _open_fails_at_once(url)
    assert message.startswith("Cannot connect to postgresql://tunesmith:***@127.0.0.1")
    assert "/no_such_db: database 'no_such_db' does not exist." in message
    assert "s3cret" not in message and "Lost" not in message


def test_missing_role_fails_at_once_naming_it(postgres, no_short_first_contact):
    server_url, _ = postgres
    url = f"postgresql://nobody_here@127.0.0.1:{_port(server_url)}/postgres"
    assert "role 'nobody_here' does not exist." in _open_fails_at_once(url)


def test_unknown_host_fails_at_once_naming_it(no_short_first_contact):
    message = _open_fails_at_once("postgresql://u:pw@no-such-host.invalid/db")
    assert message == (
        "Cannot connect to postgresql://u:***@no-such-host.invalid/db: "
        "the host name 'no-such-host.invalid' is unknown."
    )


@pytest.fixture
def password_role(postgres):
    """A role that must log in with the password 'right' (a pg_hba line just for it)."""
    server_url, (_, data, _, _, _) = postgres
    role = "pw_" + uuid.uuid4().hex[:8]
    admin = _admin(server_url)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'right'"))
    hba = f"{data}/pg_hba.conf"
    with open(hba) as f:
        before = f.read()
    with open(hba, "w") as f:
        f.write(f"host all {role} 127.0.0.1/32 scram-sha-256\n{before}")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
        _wait_until_password_is_asked(server_url, role)
        yield f"127.0.0.1:{_port(server_url)}", role
    finally:
        with open(hba, "w") as f:
            f.write(before)
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()


def _wait_until_password_is_asked(server_url, role):
    """The reload is asynchronous: poll until a login without the password is refused."""
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(f"postgresql://{role}@127.0.0.1:{_port(server_url)}/postgres").close()
        except psycopg.OperationalError:
            return
        assert time.monotonic() < deadline, "the server did not reload pg_hba.conf"
        time.sleep(0.05)  # polling a condition with a deadline, not synchronizing on time


def test_wrong_password_fails_at_once_and_hides_it(password_role, no_short_first_contact):
    host, role = password_role
    message = _open_fails_at_once(f"postgresql://{role}:wrong_pw@{host}/postgres")
    assert message == (
        f"Cannot connect to postgresql://{role}:***@{host}/postgres: "
        f"password authentication failed for user '{role}'."
    )
    without = _open_fails_at_once(f"postgresql://{role}@{host}/postgres")
    assert without.endswith("the server asks for a password and the URL gives none.")
    with pytest.raises(StorageError) as past_login:  # the right password logs in; then
        SQLStorage(f"postgresql://{role}:right@{host}/postgres")  # this role may not create
    assert str(past_login.value) == (
        f"postgresql://{role}:***@{host}/postgres: cannot create tunesmith's tables there: "
        "permission denied for schema public"
    )


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_never_reached_is_retried_briefly_and_called_unreachable(monkeypatch):
    port = _closed_port()
    url = f"postgresql://u:s3cret@127.0.0.1:{port}/db"
    with pytest.raises(StorageError) as short:
        SQLStorage(url, retry_seconds=0.5)
    message = str(short.value)
    assert message.startswith(
        f"Could not reach the database server of postgresql://u:***@127.0.0.1:{port}/db within "
        "0.5 s (is it running, and are the host and port right?): "
    )
    assert "Connection refused" in message and "s3cret" not in message
    monkeypatch.setattr(_sql_engine, "FIRST_CONTACT_SECONDS", 0.5)
    with pytest.raises(StorageError, match=r"Could not reach .* within 0\.5 s") as capped:
        SQLStorage(url, retry_seconds=RETRY)  # the first contact waits the shorter time
    assert "Connection refused" in str(capped.value)


def _cut_off(server_url, url):
    """Refuse new connections to the database of ``url`` and end the open ones."""
    name = url.rsplit("/", 1)[1]
    with _admin(server_url).connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    return name


def test_a_connection_lost_after_it_existed_is_retried_then_called_lost(postgres):
    server_url, _ = postgres
    url = _fresh_database(server_url)
    storage = SQLStorage(url, retry_seconds=0.5)
    sid = storage.create_study("s", ["minimize"], {}).study_id
    name = _cut_off(server_url, url)
    with pytest.raises(StorageError) as lost:
        storage.read(sid, 0)
    assert str(lost.value).startswith(
        f"Lost the connection to {url} and could not get it back within 0.5 s:"
    )
    assert f'database "{name}" is not currently accepting connections' in str(lost.value)
    assert lost.value.__cause__ is None and lost.value.__suppress_context__


def test_a_lost_connection_that_comes_back_within_the_window_heals(postgres):
    server_url, _ = postgres
    url = _fresh_database(server_url)
    storage = SQLStorage(url, retry_seconds=RETRY)
    sid = storage.create_study("s", ["minimize"], {}).study_id
    failed = threading.Event()
    event.listen(storage.engine, "handle_error", lambda _ctx: failed.set())
    name = _cut_off(server_url, url)

    def reopen():
        assert failed.wait(timeout=RETRY)  # a transaction has failed: let connections in again
        with _admin(server_url).connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    helper = threading.Thread(target=reopen)
    helper.start()
    assert storage.read(sid, 0)[0] == []
    helper.join()
    assert failed.is_set()


def test_create_false_leaves_an_empty_database_unwritten(postgres):
    server_url, _ = postgres
    url = _fresh_database(server_url)
    with pytest.raises(StudyNotFoundError) as info:
        get_storage(url, create=False)
    assert str(info.value) == (
        f"No tunesmith database at {url} (it holds no tables); nothing was written."
    )
    engine = _admin(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()
    get_storage(url).create_study("s", ["minimize"], {})  # create=True (the default) makes it
    assert [s.name for s in get_storage(url, create=False).list_studies()] == ["s"]
