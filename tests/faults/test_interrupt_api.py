"""Ctrl-C and SIGTERM during ``study.optimize`` from Python: serial, threads and processes.

The objective itself sends the signal (to its own process, or to the driver from a worker), so
the interruption lands mid-run at a known point, without timing guesses.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import tunesmith as ts
from tunesmith.execution import local
from tunesmith.interrupts import Terminated
from tunesmith.trial import TrialState

SPACE = {"x": ts.Int(0, 1000)}


class _SignalOn:
    """An objective that sends ``sig`` to ``pid`` (default: the driver) on its ``at``-th call
    and blocks forever on the trial numbered ``hang`` (a trial still running when stopped)."""

    def __init__(self, at: int, sig=signal.SIGINT, hang: int | None = None, pid: int | None = None):
        self.at, self.sig, self.hang, self.pid = at, sig, hang, pid or os.getpid()

    def __call__(self, trial):
        if trial.number == self.hang:
            threading.Event().wait(600)  # abandoned or killed by the driver
        if trial.number == self.at:
            if self.pid == os.getpid():  # a thread of the driver: signal its main thread
                signal.pthread_kill(threading.main_thread().ident, self.sig)
            else:
                os.kill(self.pid, self.sig)
            if self.hang is None:
                threading.Event().wait(5)  # serial: the interruption arrives here
        return float(trial.params["x"])


def test_ctrl_c_puts_the_running_trial_back_and_the_next_run_runs_it_first(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="s", storage=url, space=SPACE, seed=0)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_SignalOn(at=3), n_trials=10)
    assert study.put_back == [3]
    trials = ts.load_study("s", storage=url).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.WAITING]
    assert trials[3].system_attrs["interrupted"] == 1
    params = trials[3].params

    resumed = ts.load_study("s", storage=url)
    resumed.optimize(lambda t: float(t.params["x"]), n_trials=1)
    again = resumed.trials[3]
    assert again.state is TrialState.COMPLETE and again.params == params
    assert len(resumed.trials) == 4  # run again as the same trial, not a new one
    assert not [t for t in resumed.trials if t.state is TrialState.FAIL]


def test_sigterm_in_optimize_raises_terminated_after_putting_back(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="s", storage=url, space=SPACE, seed=0)
    with pytest.raises(Terminated) as info:
        study.optimize(_SignalOn(at=2, sig=signal.SIGTERM), n_trials=10)
    assert info.value.code == 143 and isinstance(info.value, SystemExit)
    assert study.put_back == [2]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is given back
    assert ts.load_study("s", storage=url).trials[2].state is TrialState.WAITING


@pytest.fixture
def short_grace(monkeypatch):
    monkeypatch.setattr(local, "INTERRUPT_GRACE", 1.0)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_ctrl_c_with_workers_puts_back_what_does_not_finish(tmp_path, short_grace, executor):
    """The trial that never ends is stopped and put back; nothing is recorded as failed."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="s", storage=url, space=SPACE, seed=0)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_SignalOn(at=4, hang=3), n_trials=20, n_jobs=2, executor=executor)
    trials = ts.load_study("s", storage=url).trials
    assert 3 in study.put_back
    assert set(study.put_back) <= {3, 4}  # 4 sent the signal: told, or put back if unsent
    assert [t.number for t in trials if t.state is TrialState.WAITING] == study.put_back
    assert not [t for t in trials if t.state in (TrialState.FAIL, TrialState.RUNNING)]


def test_ctrl_c_gives_running_trials_a_moment_to_finish(monkeypatch):
    """A trial that ends within the grace after Ctrl-C is told, not put back."""
    entered = threading.Event()
    finish_some = local.Driver._finish_some

    def noted(self, in_flight):
        entered.set()  # the driver now waits for the running trials
        return finish_some(self, in_flight)

    monkeypatch.setattr(local.Driver, "_finish_some", noted)
    monkeypatch.setattr(local, "INTERRUPT_GRACE", 60.0)

    def objective(trial):
        if trial.number == 1:
            entered.wait(60)  # still running when the interruption comes, ends in the grace
        if trial.number == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return float(trial.params["x"])

    study = ts.create_study(space=SPACE, seed=0)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=20, n_jobs=2)
    assert entered.is_set()
    assert study.trials[1].state is TrialState.COMPLETE
    assert 1 not in study.put_back
    assert not [t for t in study.trials if t.state is TrialState.RUNNING]


def test_a_second_ctrl_c_stops_waiting_for_running_trials(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "INTERRUPT_GRACE", 20.0)
    entered = threading.Event()
    finish_some = local.Driver._finish_some

    def noted(self, in_flight):
        entered.set()
        return finish_some(self, in_flight)

    monkeypatch.setattr(local.Driver, "_finish_some", noted)

    def second_ctrl_c():
        if entered.wait(60):  # to the main thread, as a terminal's Ctrl-C reaches a process
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    threading.Thread(target=second_ctrl_c, daemon=True).start()
    study = ts.create_study(space=SPACE, seed=0)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_SignalOn(at=2, hang=1), n_trials=20, n_jobs=2)
    assert entered.is_set()
    assert time.monotonic() - start < 10  # not the 20 s grace
    assert 1 in study.put_back and set(study.put_back) <= {1, 2}
    assert study.trials[1].state is TrialState.WAITING


def test_an_error_raised_by_the_objective_is_still_recorded_and_raised():
    """Only interruptions put trials back; an error outside ``catch`` fails its trial."""
    study = ts.create_study(space=SPACE, seed=0)

    def boom(trial):
        raise LookupError("no")

    with pytest.raises(LookupError):
        study.optimize(boom, n_trials=3, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL]
    assert study.put_back == []


def test_unpicklable_objective_with_processes_is_refused_once_up_front():
    study = ts.create_study(space=SPACE, seed=0)
    lock = threading.Lock()
    with pytest.raises(ValueError, match="'objective' parameter of optimize must be picklable"):
        study.optimize(lambda t: float(lock.locked()), n_trials=3, n_jobs=2, executor="process")
    assert study.trials == []  # nothing was asked


def test_waiting_strategy_says_what_it_waits_for(tmp_path):
    """A strategy waiting for trials another process runs says so, and its wait has an end."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    ts.create_study(
        name="s", storage=url, space={"x": ts.Float(0, 1), "y": ts.Float(0, 1)},
        strategy=ts.strategies.CMAES(population_size=4), seed=0,
    )  # fmt: skip
    other = ts.load_study("s", storage=url)
    held = other.ask_batch(4)  # a whole generation, running "elsewhere"
    assert len(held) == 4
    study = ts.load_study("s", storage=url)
    notes: list[str] = []
    study.on_wait = notes.append
    assert study._ask_for_run(1, False, time.monotonic() + 1.5) == []
    assert notes and notes[-1].startswith("waiting for 4 trials running in other processes")
    assert "oldest heartbeat" in notes[-1] and "lost after 40 s" in notes[-1]
    with pytest.raises(RuntimeError, match="waits for the running trials"):
        study.ask()  # never blocks
