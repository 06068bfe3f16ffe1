"""One suite over every backend: the storage contract, through the public study API."""

import sqlite3

import pytest

import tunesmith as ts
from tunesmith.storage import Proposal, StorageError, get_storage
from tunesmith.storage.base import LOST_HEARTBEAT, TrialLostError

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
    with pytest.raises(StorageError, match="schema version 99; this tunesmith reads version 2"):
        ts.load_study("x", storage=url)


def test_a_study_pickles_and_keeps_working(storage):
    import pickle

    study = ts.create_study(storage=storage, space=SPACE, seed=5, heartbeat=30.0)
    study.optimize(lambda t: t.params["x"], n_trials=4)
    copy = pickle.loads(pickle.dumps(study))
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
    copy.optimize(lambda t: t.params["x"], n_trials=2)
    assert len(copy.trials) == 6


# -- the storage contract itself, below the study ----------------------------------------------
def _numbered(changes, first, n):
    """A propose function: ``n`` proposals whose x is the number of the trial they become."""
    dists = {"x": ts.Float(0, 1e6)}
    return [Proposal({"x": float(first + i)}, dists, {"batch": first}) for i in range(n)]


def _by_number(trials):
    return {t.number: t for t in trials}


def test_claim_returns_only_trials_changed_after_the_cursor(storage):
    backend = get_storage(storage)
    sid = backend.create_study("cursor", ["minimize"], {}).study_id
    seen = []

    def propose(changes, first, n):
        seen.append(sorted(t.number for t in changes))
        return _numbered(changes, first, n)

    first = backend.claim(sid, 0, 3, propose)
    assert [t.number for t in first.claimed] == [0, 1, 2] and first.changes == []
    t0, t1, t2 = first.claimed
    backend.finish(sid, t1, ts.TrialState.COMPLETE, (1.0,), None, 1.0)

    second = backend.claim(sid, first.cursor, 1, propose)
    assert [(t.number, t.state) for t in second.changes] == [(1, ts.TrialState.COMPLETE)]
    assert second.changes[0].values == (1.0,)
    assert [t.number for t in second.claimed] == [3] and second.cursor > first.cursor

    third = backend.claim(sid, second.cursor, 1, propose)  # nothing changed in between
    assert third.changes == [] and [t.number for t in third.claimed] == [4]
    assert seen == [[], [1], []]  # the strategy hears the same changes

    everything = backend.claim(sid, 0, 1, propose)  # cursor 0: the whole study
    assert sorted(t.number for t in everything.changes) == [0, 1, 2, 3, 4]
    changed, cursor = backend.read(sid, third.cursor)
    assert [t.number for t in changed] == [5] and cursor == everything.cursor
    assert backend.read(sid, cursor) == ([], cursor)


def test_stale_running_trial_fails_and_is_retried_while_a_live_one_runs_on(storage):
    backend = get_storage(storage)
    sid = backend.create_study("reap", ["minimize"], {}).study_id
    claim = backend.claim(sid, 0, 2, _numbered)
    stale, live = claim.claimed
    start = max(t.started for t in claim.claimed)
    backend.heartbeat(sid, [live.trial_id], start + 100.0)  # only the live trial keeps beating

    reaped = backend.claim(sid, claim.cursor, 0, _numbered, stale_before=start + 50.0, retries=1)
    assert reaped.claimed == []
    changed = _by_number(reaped.changes)
    assert changed[0].state is ts.TrialState.FAIL and changed[0].error == LOST_HEARTBEAT
    assert changed[0].finished is not None
    trials = _by_number(backend.read(sid, 0)[0])
    assert sorted(trials) == [0, 1, 2]
    assert trials[0].state is ts.TrialState.FAIL and trials[0].error == LOST_HEARTBEAT
    assert trials[1].state is ts.TrialState.RUNNING and trials[1].error is None
    retry = trials[2]  # queued with the same parameters, numbered after the others
    assert retry.state is ts.TrialState.WAITING and retry.params == stale.params == {"x": 0.0}
    assert retry.system_attrs["retry"] == 1 and retry.system_attrs["retry_of"] == 0

    # The retry is handed out before anything new; when its heartbeat stops too, its one
    # retry is used up: it fails and nothing more is queued.
    again = backend.claim(sid, reaped.cursor, 1, _numbered, stale_before=start + 50.0, retries=1)
    assert [(t.number, t.params) for t in again.claimed] == [(2, {"x": 0.0})]
    backend.heartbeat(sid, [live.trial_id], start + 10_000.0)
    final = backend.claim(sid, again.cursor, 0, _numbered, stale_before=start + 5_000, retries=1)
    assert [(t.number, t.state) for t in final.changes] == [(2, ts.TrialState.FAIL)]
    trials = _by_number(backend.read(sid, 0)[0])
    assert sorted(trials) == [0, 1, 2] and trials[2].error == LOST_HEARTBEAT
    assert trials[1].state is ts.TrialState.RUNNING

    # The live trial can still be told; the reaped one cannot, and the error says why.
    done = backend.finish(sid, live, ts.TrialState.COMPLETE, (2.0,), None, start + 1.0)
    assert done.state is ts.TrialState.COMPLETE and done.values == (2.0,)
    with pytest.raises(
        TrialLostError, match=r"Trial 0 was failed as lost .* result \(1\.0\) arrived"
    ):
        backend.finish(sid, stale, ts.TrialState.COMPLETE, (1.0,), None, start + 1.0)


def test_stale_trials_are_not_retried_without_retries(storage):
    backend = get_storage(storage)
    sid = backend.create_study("reap0", ["minimize"], {}).study_id
    claim = backend.claim(sid, 0, 1, _numbered)
    (stale,) = claim.claimed
    reaped = backend.claim(sid, claim.cursor, 0, _numbered, stale_before=stale.started + 1.0)
    assert [(t.number, t.state, t.error) for t in reaped.changes] == [
        (0, ts.TrialState.FAIL, LOST_HEARTBEAT)
    ]
    assert [t.number for t in backend.read(sid, 0)[0]] == [0]
