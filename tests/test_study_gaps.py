"""What a new user's first runs found in the study API: enqueue, results that are copies,
add_trial, delete_study, default heartbeats and retries, checks before anything is stored."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.storage import StudyNotFoundError
from tunesmith.trial import FrozenTrial, TrialState

SPACE = {"x": ts.Float(0.0, 1.0), "y": ts.Int(0, 9)}


def test_enqueue_draws_the_names_it_leaves_out_and_refuses_unknown_ones():
    study = ts.create_study(space=SPACE, seed=0)
    study.enqueue({"x": 0.5})
    trial = study.ask()
    assert trial.params["x"] == 0.5 and SPACE["y"].contains(trial.params["y"])
    assert set(trial.params) == {"x", "y"}
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match=r"has \['z'\], not in the study's space"):
        study.enqueue({"x": 0.5, "z": 1})
    assert len(study.trials) == 1  # nothing queued by the refused call


def test_results_are_copies_the_user_may_change():
    study = ts.create_study(space=SPACE, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    best = study.best_trial
    best.params["x"] = 99.0
    best.user_attrs["mine"] = 1
    study.trials[0].params.clear()
    assert study.best_trial.params["x"] != 99.0
    assert "mine" not in study.best_trial.user_attrs
    assert study.trials[0].params != {}


def test_add_trial_records_a_finished_trial_without_running_it(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="s", storage=url, space=SPACE, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    done = study.add_trial(
        FrozenTrial(
            -1, TrialState.COMPLETE, {"x": 0.25, "y": np.int64(3)}, {},
            values=(0.001,), user_attrs={"source": "notebook"},
        )
    )  # fmt: skip
    failed = study.add_trial(FrozenTrial(-1, TrialState.FAIL, {"x": 0.5, "y": 1}, {}, error="oom"))
    assert (done.number, failed.number) == (2, 3)
    reopened = ts.load_study("s", storage=url)
    assert reopened.best_trial.number == 2 and reopened.best_value == 0.001
    assert reopened.trials[2].params == {"x": 0.25, "y": 3}
    assert reopened.trials[2].distributions == SPACE
    assert reopened.trials[3].state is TrialState.FAIL and reopened.trials[3].error == "oom"


@pytest.mark.parametrize(
    "trial, message",
    [
        (FrozenTrial(0, TrialState.RUNNING, {"x": 0.1}, {}), "must be COMPLETE, PRUNED or FAIL"),
        (FrozenTrial(0, TrialState.COMPLETE, {"x": 0.1}, {}), "unusable values"),
        (FrozenTrial(0, TrialState.COMPLETE, {"x": 2.0}, {}, values=(1.0,)), "outside"),
        (FrozenTrial(0, TrialState.COMPLETE, {"q": 1}, {}, values=(1.0,)), "not in the study"),
        ({"x": 0.1}, "must be a FrozenTrial"),
    ],
)
def test_add_trial_refuses_what_it_cannot_store(trial, message):
    study = ts.create_study(space=SPACE, seed=0)
    with pytest.raises(ValueError, match=message):
        study.add_trial(trial)
    assert study.trials == []


def test_delete_study_removes_it_and_its_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    keep = ts.create_study(name="keep", storage=url, space=SPACE, seed=0)
    gone = ts.create_study(name="gone", storage=url, space=SPACE, seed=0)
    keep.optimize(lambda t: t.params["x"], n_trials=2)
    gone.optimize(lambda t: t.params["x"], n_trials=3)
    ts.delete_study("gone", url)
    with pytest.raises(StudyNotFoundError):
        ts.load_study("gone", url)
    assert len(ts.load_study("keep", url).trials) == 2
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT COUNT(*) FROM tunesmith_trials").fetchone()[0] == 2
    con.close()
    with pytest.raises(StudyNotFoundError):
        ts.delete_study("gone", url)


def test_load_study_never_creates_a_database(tmp_path):
    with pytest.raises(StudyNotFoundError, match="No tunesmith database"):
        ts.load_study("s", f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


def test_persistent_studies_get_heartbeats_and_a_retry_by_default(tmp_path):
    stored = ts.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", space=SPACE)
    assert (stored.heartbeat_interval, stored.grace_period, stored.retries) == (10.0, 40.0, 1)
    memory = ts.create_study(space=SPACE)
    assert (memory.heartbeat_interval, memory.grace_period) == (None, None)
    off = ts.create_study(storage=f"sqlite:///{tmp_path / 'o.db'}", space=SPACE, heartbeat=0)
    assert off.heartbeat_interval is None and off.grace_period is None
    with pytest.raises(ValueError, match="'grace_period' parameter of create_study needs"):
        ts.create_study(space=SPACE, heartbeat=0, grace_period=5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strategy": "grid", "space": {"x": ts.Float(0, 1)}}, "grid"),
        ({"strategy": "cmaes", "space": SPACE, "directions": ["minimize", "maximize"]}, "one"),
    ],
)
def test_create_study_checks_strategy_against_space_before_storing(tmp_path, kwargs, message):
    path = tmp_path / "s.db"
    with pytest.raises(ValueError, match=message):
        ts.create_study(name="s", storage=f"sqlite:///{path}", **kwargs)
    assert not path.exists()  # checked before the database was even opened
