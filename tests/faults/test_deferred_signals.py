"""A Ctrl-C or SIGTERM never lands inside a storage write or the bookkeeping after it.

The signal is raised synchronously (``signal.raise_signal``) at the worst moment: inside a
transaction, or right after a trial's commit. The write must complete, the lock must be free,
and the interruption must still reach the caller once the critical section ends.
"""

from __future__ import annotations

import signal
import sqlite3
import threading

import pytest
from sqlalchemy import text

import tunesmith as ts
from tunesmith.interrupts import Terminated, deferred, graceful_signals
from tunesmith.storage._sql_engine import engine_for, run_transaction
from tunesmith.trial import TrialState


def test_a_signal_inside_a_critical_section_takes_effect_at_its_end():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            signal.raise_signal(signal.SIGINT)
            reached.append("after the signal")
            with deferred():  # nested sections end with the outermost
                reached.append("nested")
            reached.append("end of the section")
    assert reached == ["after the signal", "nested", "end of the section"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_a_second_signal_takes_effect_at_once():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            signal.raise_signal(signal.SIGINT)
            reached.append("first deferred")
            signal.raise_signal(signal.SIGINT)
            reached.append("never")
    assert reached == ["first deferred"]
    with deferred():  # nothing left pending from the second signal
        reached.append("clean")
    assert reached == ["first deferred", "clean"]


def test_sigterm_becomes_terminated_and_waits_for_the_section_too():
    reached = []
    with graceful_signals():
        with pytest.raises(Terminated) as caught:
            with deferred():
                signal.raise_signal(signal.SIGTERM)
                reached.append("finished the write")
    assert reached == ["finished the write"] and caught.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_programs_own_handler_is_left_alone():
    heard = []
    previous = signal.signal(signal.SIGINT, lambda *_: heard.append("mine"))
    try:
        with graceful_signals(), deferred():
            signal.raise_signal(signal.SIGINT)
        assert heard == ["mine"]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_sections_in_other_threads_do_not_delay_the_main_thread():
    entered, release = threading.Event(), threading.Event()

    def hold_a_section():
        with deferred():
            entered.set()
            release.wait(30)

    worker = threading.Thread(target=hold_a_section)
    worker.start()
    try:
        entered.wait(30)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
            for _ in range(1000):  # the handler runs between these bytecodes
                pass
    finally:
        release.set()
        worker.join()


def test_ctrl_c_inside_a_transaction_commits_it_and_frees_the_lock(tmp_path):
    db = tmp_path / "t.db"
    engine = engine_for(f"sqlite:///{db}")
    run_transaction(engine, lambda c: c.execute(text("CREATE TABLE t (x INTEGER)")))

    def write(conn):
        conn.execute(text("INSERT INTO t VALUES (1)"))
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while the write lock is held
        conn.execute(text("INSERT INTO t VALUES (2)"))

    with pytest.raises(KeyboardInterrupt):
        run_transaction(engine, write)
    other = sqlite3.connect(db, timeout=0.1)  # another process's view
    try:
        other.execute("BEGIN IMMEDIATE")  # would fail with 'database is locked'
        assert other.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_ctrl_c_right_after_a_commit_never_tells_the_trial_twice(tmp_path):
    """The interruption lands in the callback after trial 2's commit, with a second trial
    running in a worker: the run stops, trial 2 stays told once, nothing fails."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="s", storage=url, space={"x": ts.Float(0, 1)}, seed=0)
    told = []

    def interrupt_after(study_, trial):
        told.append(trial.number)
        if trial.number == 2:
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda t: t.params["x"], n_trials=20, n_jobs=2, callbacks=[interrupt_after])
    assert told.count(2) == 1 and len(told) == len(set(told))
    trials = ts.load_study("s", storage=url).trials
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.FAIL)]
    assert trials[2].state is TrialState.COMPLETE
