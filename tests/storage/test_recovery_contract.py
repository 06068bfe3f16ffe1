"""The storage methods that recovery stands on, over every backend: putting trials back,
recording finished trials, deleting a study, who runs what, and replacing settings."""

from __future__ import annotations

import sqlite3

import pytest

import tunesmith as ts
from tunesmith.storage import StorageError, get_storage
from tunesmith.storage.base import TrialNotFoundError
from tunesmith.storage.schema import SCHEMA_VERSION
from tunesmith.trial import FrozenTrial, TrialState

SPACE = {"x": ts.Float(-1, 1), "n": ts.Int(1, 4)}


def test_release_puts_running_trials_back_first_in_line(storage):
    study = ts.create_study(name="s", storage=storage, space=SPACE, seed=0, heartbeat=0)
    asked = study.ask_batch(3)
    asked[0].report(0.5, 0)
    study.tell(asked[1], 1.0)
    assert sorted(study._release([asked[0].number, asked[1].number, asked[2].number])) == [0, 2]
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.WAITING, TrialState.COMPLETE] + [
        TrialState.WAITING
    ]
    assert trials[0].system_attrs["interrupted"] == 1 and trials[0].intermediate == {}
    again = ts.load_study("s", storage=storage)
    rerun = again.ask_batch(2)  # put-back trials come back first, same number and params
    assert [t.number for t in rerun] == [0, 2]
    assert [t.params for t in rerun] == [asked[0].params, asked[2].params]


def test_add_trials_and_running_and_delete(storage):
    study = ts.create_study(name="s", storage=storage, space=SPACE, seed=0, heartbeat=0)
    running = study.ask()
    added = study.add_trials(
        [
            FrozenTrial(0, TrialState.COMPLETE, {"x": 0.5, "n": 2}, {}, values=(0.25,)),
            FrozenTrial(0, TrialState.FAIL, {"x": 0.1, "n": 1}, {}, error="died"),
        ]
    )
    assert [t.number for t in added] == [1, 2]
    backend = get_storage(storage)
    info = backend.get_study("s")
    who = backend.running(info.study_id)
    assert [r.number for r in who] == [running.number]
    assert ts.load_study("s", storage=storage).best_value == 0.25
    settings = info.settings
    backend.set_study_attrs(info.study_id, {**settings.to_json(), "retries": 5})
    assert backend.get_study("s").settings.retries == 5
    ts.delete_study("s", backend)
    assert [s.name for s in backend.list_studies()] == []


def test_set_user_attr_changes_a_finished_trial_as_readers_see_it(storage):
    study = ts.create_study(name="s", storage=storage, space=SPACE, seed=0, heartbeat=0)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    running = study.ask()
    backend = get_storage(storage)
    sid = backend.get_study("s").study_id
    _, seen = backend.read(sid, 0)
    changed = backend.set_user_attr(sid, 1, "note", "<b>looks odd</b>")
    assert changed.number == 1 and changed.user_attrs == {"note": "<b>looks odd</b>"}
    since, now = backend.read(sid, seen)
    assert [(t.number, t.user_attrs) for t in since] == [(1, {"note": "<b>looks odd</b>"})]
    assert now > seen
    backend.set_user_attr(sid, 1, "note", None)  # None removes it
    assert ts.load_study("s", storage=storage).trials[1].user_attrs == {}
    with pytest.raises(StorageError, match="RUNNING"):
        backend.set_user_attr(sid, running.number, "note", "x")
    with pytest.raises(TrialNotFoundError, match="no trial number 7"):
        backend.set_user_attr(sid, 7, "note", "x")


def test_a_version_1_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v1.db"
    url = f"sqlite:///{path}"
    study = ts.create_study(name="old", storage=url, space=SPACE, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    con = sqlite3.connect(path)  # what a version-1 database looked like: no owner column
    con.execute("ALTER TABLE tunesmith_trials DROP COLUMN owner")
    con.execute("UPDATE tunesmith_meta SET value='1' WHERE key='schema_version'")
    con.commit()
    con.close()
    from tunesmith.storage import _sql_engine

    _sql_engine._ENGINES.pop(_sql_engine.normalize_url(url)).dispose()
    reopened = ts.load_study("old", storage=url)
    reopened.optimize(lambda t: t.params["x"], n_trials=2)
    assert [t.state for t in reopened.trials] == [TrialState.COMPLETE] * 5
    con = sqlite3.connect(path)
    version = con.execute("SELECT value FROM tunesmith_meta").fetchone()[0]
    owners = [r[0] for r in con.execute("SELECT owner FROM tunesmith_trials ORDER BY number")]
    con.close()
    assert version == str(SCHEMA_VERSION) == "2"
    assert owners[:3] == [None] * 3 and all(o and '"pid"' in o for o in owners[3:])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_grid_interrupted_again_and_again_ends_with_every_point_once(tmp_path, n_jobs):
    """Each run is stopped by Ctrl-C after two trials; the grid still ends complete."""
    import os
    import signal

    url = f"sqlite:///{tmp_path / 'g.db'}"
    space = {"a": ts.Int(0, 3), "b": ts.Choice(["p", "q", "r"])}
    ts.create_study(name="g", storage=url, space=space, strategy="grid")
    for _ in range(20):
        study = ts.load_study("g", storage=url)
        calls = []

        def objective(trial, calls=calls):
            calls.append(trial.number)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGINT)
            return float(trial.params["a"])

        try:
            study.optimize(objective, n_jobs=n_jobs)
            break
        except KeyboardInterrupt:
            continue
    trials = ts.load_study("g", storage=url).trials
    keys = sorted((t.params["a"], t.params["b"]) for t in trials)
    assert keys == sorted((a, b) for a in range(4) for b in "pqr")
    assert all(t.state is TrialState.COMPLETE for t in trials)
