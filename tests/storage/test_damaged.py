"""A damaged or missing SQLite database gives one clear StorageError, and opening never creates."""

import sqlite3

import pytest

import tunesmith as ts
from tunesmith.storage import StorageError, StudyNotFoundError, _sql_engine, get_storage
from tunesmith.storage.schema import TABLE_NAMES


def _study_file(tmp_path, n_trials=2):
    """A real SQLite file with one study of ``n_trials`` finished trials; its engine closed."""
    path = tmp_path / "study.db"
    url = f"sqlite:///{path}"
    study = ts.create_study(name="s", storage=url, space={"x": ts.Float(0, 1)}, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=n_trials)
    _forget(url)
    return path, url, study._info.study_id


def _forget(url):
    """Drop this process's engine, as a fresh process would start without one."""
    engine = _sql_engine._ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def _damage(path, sql, *args):
    con = sqlite3.connect(path)
    con.execute(sql, args)
    con.commit()
    con.close()


@pytest.mark.parametrize("table", sorted(TABLE_NAMES))
def test_a_dropped_table_is_named_when_the_storage_opens(tmp_path, table):
    path, url, _ = _study_file(tmp_path)
    _damage(path, f"DROP TABLE {table}")
    before = path.read_bytes()
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert str(info.value) == (
        f"{path} is a damaged tunesmith database: table(s) ['{table}'] are missing. "
        "Restore it from a backup, or move it aside to start afresh."
    )
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert path.read_bytes() == before  # nothing recreated or written


@pytest.mark.parametrize(
    "column, stored, why",
    [
        ("params", '{"x": 0.5', "JSONDecodeError: Expecting ',' delimiter"),
        ("params", "[0.5]", "TypeError: expected a JSON object, found list"),
        ("distributions", "not json", "JSONDecodeError: Expecting value"),
        ("distributions", '{"x": {"kind": "nope"}}', "ValueError: Unknown distribution kind"),
        ("values_json", "[1.0,", "JSONDecodeError: Expecting value"),
        ("values_json", '"abc"', "TypeError: expected a JSON list, found str"),
        ("intermediate", "{'0': 1}", "JSONDecodeError: Expecting property name"),
        ("intermediate", '{"step": 1}', "ValueError: invalid literal for int()"),
        ("user_attrs", "", "JSONDecodeError: Expecting value"),
        ("system_attrs", "null", "TypeError: expected a JSON object, found NoneType"),
        ("state", "DONE", "ValueError: 'DONE' is not a valid TrialState"),
    ],
)
def test_a_damaged_trial_column_is_named_where_rows_are_read(tmp_path, column, stored, why):
    path, url, study_id = _study_file(tmp_path)
    _damage(path, f"UPDATE tunesmith_trials SET {column} = ? WHERE number = 1", stored)
    storage = get_storage(url)  # the schema is whole: opening works
    with pytest.raises(StorageError) as info:
        storage.read(study_id, 0)
    assert str(info.value).startswith(
        f"Trial 1 of study id {study_id} is damaged: its {column!r} column cannot be read ({why}"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(StorageError, match=f"Trial 1 of study id {study_id} is damaged"):
        ts.load_study("s", storage=url)


def test_undamaged_rows_read_back_whole(tmp_path):
    path, url, study_id = _study_file(tmp_path, n_trials=3)
    trials, _ = get_storage(url).read(study_id, 0)
    assert sorted(t.number for t in trials) == [0, 1, 2]
    assert all(t.values == (t.params["x"],) and t.distributions for t in trials)


def test_create_false_never_creates_a_file(tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(StudyNotFoundError) as info:
        get_storage(f"sqlite:///{missing}", create=False)
    assert str(info.value) == f"No tunesmith database at {missing}; nothing was created."
    assert isinstance(info.value, StorageError) and isinstance(info.value, KeyError)
    assert list(tmp_path.iterdir()) == []


def test_create_false_leaves_an_empty_file_empty(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StudyNotFoundError, match="it holds no tables"):
        get_storage(f"sqlite:///{empty}", create=False)
    assert empty.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_create_false_opens_an_existing_database_and_refuses_a_foreign_one(tmp_path):
    _, url, _ = _study_file(tmp_path)
    assert [s.name for s in get_storage(url, create=False).list_studies()] == ["s"]
    foreign = tmp_path / "other.db"
    _damage(foreign, "CREATE TABLE users (id INTEGER)")
    with pytest.raises(StorageError, match=r"is not a tunesmith database \(it has tables"):
        get_storage(f"sqlite:///{foreign}", create=False)


def test_create_true_stays_the_default(tmp_path):
    path = tmp_path / "new.db"
    assert get_storage(f"sqlite:///{path}").list_studies() == []
    con = sqlite3.connect(path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert tables >= TABLE_NAMES


def test_create_must_be_a_bool():
    with pytest.raises(TypeError, match="The 'create' parameter of get_storage must be a bool"):
        get_storage("sqlite:///x.db", create="no")
