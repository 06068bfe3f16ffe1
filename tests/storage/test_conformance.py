"""One suite over every backend: the storage contract, through the public study API."""

import sqlite3

import pytest

import tunesmith as ts
from tunesmith.storage import StorageError, get_storage

SPACE = {"x": ts.Float(-1, 1), "k": ts.Choice(["a", "b"]), "n": ts.Int(1, 4)}


def test_create_load_and_duplicate(storage):
    study = ts.create_study(name="s", storage=storage, space=SPACE, seed=3, strategy="random")
    study.optimize(lambda t: t.params["x"] ** 2, n_trials=5)
    with pytest.raises(ts.storage.DuplicatedStudyError, match="load_if_exists=True"):
        ts.create_study(name="s", storage=storage)
    again = ts.load_study("s", storage=storage if not isinstance(storage, str) else storage)
    assert [t.params for t in again.trials] == [t.params for t in study.trials]
    assert again.seed == 3 and again.space == SPACE and again.strategy.name == "random"
    reopened = ts.create_study(name="s", storage=storage, space=SPACE, seed=3, load_if_exists=True)
    reopened.optimize(lambda t: t.params["x"] ** 2, n_trials=3)
    assert len(reopened.trials) == 8
    with pytest.raises(KeyError, match="No study named 'missing'"):
        ts.load_study("missing", storage=storage)


def test_values_params_and_attrs_round_trip_verbatim(storage):
    name = "quote' \"; DROP TABLE x; -- ünï©ødé"
    study = ts.create_study(name=name, storage=storage, directions=["minimize", "maximize"])

    def objective(trial):
        trial.suggest_float("a'b", 0, 1)
        trial.suggest_categorical("ch", ["x'y", None, True, 3])
        trial.report(0.5, 0)
        trial.report(0.25, 1)
        trial.set_user_attr("note", {"nested": [1, 2.5, "é"]})
        return 1.5, -2.0

    study.optimize(objective, n_trials=3)
    loaded = ts.load_study(name, storage=storage)
    for a, b in zip(study.trials, loaded.trials):
        assert a.params == b.params and a.values == b.values == (1.5, -2.0)
        assert b.intermediate == {0: 0.5, 1: 0.25}
        assert b.user_attrs["note"] == {"nested": [1, 2.5, "é"]}
        assert set(b.distributions) == {"a'b", "ch"}
    assert [s.name for s in get_storage(storage).list_studies()] == [name] or not isinstance(
        storage, str
    )


def test_reads_are_incremental(storage):
    study = ts.create_study(storage=storage, space=SPACE, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=20)
    backend = study._storage
    changes, cursor = backend.read(study._info.study_id, 0)
    assert len(changes) == 20
    again, cursor2 = backend.read(study._info.study_id, cursor)
    assert again == [] and cursor2 == cursor
    trial = study.ask()
    changes, _ = backend.read(study._info.study_id, cursor)
    assert [t.number for t in changes] == [trial.number]


def test_finished_trial_is_never_overwritten(storage):
    study = ts.create_study(storage=storage, space=SPACE)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="asked and has not told yet"):
        study.tell(trial, 2.0)
    assert study.trials[0].value == 1.0


def test_enqueue_is_handed_out_first_in_order(storage):
    study = ts.create_study(storage=storage, space=SPACE, seed=1)
    study.enqueue({"x": 0.5, "k": "b", "n": 2})
    study.enqueue({"x": -0.5, "k": "a", "n": 3})
    first, second, third = study.ask(), study.ask(), study.ask()
    assert first.params == {"x": 0.5, "k": "b", "n": 2}
    assert second.params == {"x": -0.5, "k": "a", "n": 3}
    assert set(third.params) == set(SPACE)
    with pytest.raises(ValueError, match="outside Float"):
        study.enqueue({"x": 3.0})


def test_sql_refuses_foreign_and_corrupt_files_and_leaves_them(tmp_path):
    foreign = tmp_path / "other.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    before = foreign.read_bytes()
    with pytest.raises(StorageError, match="is not a tunesmith database"):
        ts.create_study(storage=f"sqlite:///{foreign}")
    assert foreign.read_bytes() == before

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    before = junk.read_bytes()
    with pytest.raises(StorageError, match="cannot be opened as a tunesmith database"):
        ts.create_study(storage=f"sqlite:///{junk}")
    assert junk.read_bytes() == before


def test_sql_refuses_other_schema_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'v.db'}"
    ts.create_study(storage=url)
    con = sqlite3.connect(tmp_path / "v.db")
    con.execute("UPDATE tunesmith_meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    from tunesmith.storage import _sql_engine

    _sql_engine._ENGINES.pop(url).dispose()
    with pytest.raises(StorageError, match="schema version 99; this tunesmith reads version 1"):
        ts.load_study("x", storage=url)


def test_a_study_pickles_and_keeps_working(storage):
    import pickle

    study = ts.create_study(storage=storage, space=SPACE, seed=5, heartbeat=30.0)
    study.optimize(lambda t: t.params["x"], n_trials=4)
    copy = pickle.loads(pickle.dumps(study))
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
    copy.optimize(lambda t: t.params["x"], n_trials=2)
    assert len(copy.trials) == 6
