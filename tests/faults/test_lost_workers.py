"""Workers that die or hang: finished trials kept, lost ones FAIL and are retried."""

import multiprocessing as mp
import os
import signal
import threading
import time

import pytest
import sqlalchemy

import tunesmith as ts
from tunesmith import TrialState
from tunesmith.storage.schema import trials_table

SPACE = {"x": ts.Int(0, 1000)}


def _dies_once(trial):
    """SIGKILLs its own process the first time it sees an even x (a worker lost mid-trial)."""
    marker = os.path.join(os.environ["TUNESMITH_TEST_DIR"], f"seen-{trial.params['x']}")
    if trial.params["x"] % 2 == 0 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return float(trial.params["x"])


@pytest.mark.parametrize("trial_timeout", [None, 30.0])
def test_killed_worker_process_fails_and_is_retried(tmp_path, monkeypatch, trial_timeout):
    monkeypatch.setenv("TUNESMITH_TEST_DIR", str(tmp_path))
    study = ts.create_study(
        storage=f"sqlite:///{tmp_path / 'k.db'}", space=SPACE, seed=1, retries=2
    )
    study.optimize(
        _dies_once, n_trials=24, n_jobs=2, executor="process", trial_timeout=trial_timeout
    )
    trials = study.trials
    assert sum(t.state is not TrialState.WAITING for t in trials) == 24  # retries left may wait
    died = [t for t in trials if t.state is TrialState.FAIL]
    assert died and all("Worker process died" in t.error for t in died)
    done = [t for t in trials if t.state is TrialState.COMPLETE]
    assert all(t.value == t.params["x"] for t in done)
    # every lost trial was queued again with the same parameters (the last may still wait)
    retried = {t.system_attrs["retry_of"]: t for t in trials if "retry_of" in t.system_attrs}
    for t in died:
        if t.number in retried:
            assert retried[t.number].params == t.params
    assert len(retried) >= len(died) - 2


def _hangs(trial):
    if trial.params["x"] % 3 == 0:
        time.sleep(3600)  # an objective that hangs; trial_timeout must end it
    return 1.0


@pytest.mark.parametrize("executor", ["process", "thread"])
def test_trial_timeout_fails_hanging_trials(executor):
    study = ts.create_study(space=SPACE, seed=3)
    t0 = time.monotonic()
    study.optimize(_hangs, n_trials=8, n_jobs=2, executor=executor, trial_timeout=0.5)
    assert time.monotonic() - t0 < 30
    states = {t.number: t.state for t in study.trials}
    assert len(states) == 8
    for t in study.trials:
        if t.params["x"] % 3 == 0:
            assert t.state is TrialState.FAIL and "Timed out after 0.5 s" in t.error
        else:
            assert t.state is TrialState.COMPLETE


def _ask_and_hang(url, ready, host=None):
    if host is not None:  # this process plays a driver on another machine
        import tunesmith.owner

        tunesmith.owner._host = lambda: host
    study = ts.load_study("hb", storage=url)
    trial = study.ask()
    ready.put(trial.number)
    threading.Event().wait(120)  # "running" until the test kills this process


def _heartbeat(url, number):
    """The stored (started, heartbeat) times of trial ``number`` of study "hb"."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sqlalchemy.select(trials_table.c.started, trials_table.c.heartbeat).where(
                    trials_table.c.number == number
                )
            ).one()
    finally:
        engine.dispose()
    return row.started, row.heartbeat


def _wait_for(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def test_killed_driver_on_this_host_is_reaped_by_the_next_claim(tmp_path):
    """A trial whose owner process on this host is gone fails at the next claim, long before
    its heartbeat could go stale, and runs again with its parameters."""
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    ts.create_study(name="hb", storage=url, space=SPACE, seed=0, heartbeat=30, retries=1)
    ctx = mp.get_context("fork")
    ready = ctx.Queue()
    proc = ctx.Process(target=_ask_and_hang, args=(url, ready))
    proc.start()
    number = ready.get(timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    study = ts.load_study("hb", storage=url)
    assert study.trials[number].state is TrialState.RUNNING  # nobody has claimed since
    study.optimize(lambda t: float(t.params["x"]), n_trials=2)
    trials = study.trials
    lost = trials[number]
    assert lost.state is TrialState.FAIL and lost.system_attrs["lost"] is True
    assert lost.error.startswith(f"Lost: process {proc.pid} on ")
    assert time.time() - lost.started < 30  # not by the heartbeat (grace: 120 s)
    retry = [t for t in trials if t.system_attrs.get("retry_of") == number]
    assert len(retry) == 1 and retry[0].params == lost.params
    assert retry[0].state is TrialState.COMPLETE and "lost" not in retry[0].system_attrs


def test_killed_driver_on_another_host_fails_after_grace_and_is_retried(tmp_path):
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    grace = 0.5
    ts.create_study(
        name="hb", storage=url, space=SPACE, seed=0, heartbeat=0.1, grace_period=grace, retries=1
    )
    ctx = mp.get_context("fork")
    ready = ctx.Queue()
    proc = ctx.Process(target=_ask_and_hang, args=(url, ready, "elsewhere/boot/ns"))
    proc.start()
    try:
        number = ready.get(timeout=60)
        beat_seen = ts.load_study("hb", storage=url)

        # The live process beats: wait until its heartbeat is newer than the start plus the
        # grace period, so a trial that did not beat would be reaped by now.
        def beaten_past_grace():
            started, beat = _heartbeat(url, number)
            return beat is not None and beat > started + grace and time.time() > started + grace

        _wait_for(beaten_past_grace, "the live trial to beat past its grace period")
        beat_seen.optimize(lambda t: 1.0, n_trials=1)
        assert beat_seen.trials[number].state is TrialState.RUNNING  # still alive: not reaped
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=30)
        assert proc.exitcode == -signal.SIGKILL
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=30)

    # Dead now: once its last heartbeat is older than the grace period, the next ask reaps it.
    _, last_beat = _heartbeat(url, number)
    _wait_for(lambda: time.time() > last_beat + grace + 0.05, "the heartbeat to go stale")
    study = ts.load_study("hb", storage=url)
    study.optimize(lambda t: float(t.params["x"]), n_trials=3)
    trials = study.trials
    lost = trials[number]
    assert lost.state is TrialState.FAIL and "Lost heartbeat" in lost.error
    retry = [t for t in trials if t.system_attrs.get("retry_of") == number]
    assert len(retry) == 1 and retry[0].params == lost.params
    assert retry[0].state is TrialState.COMPLETE


def test_a_dropped_study_stops_beating_for_its_asked_trials():
    """The heartbeat holds its study weakly: once the study is gone, its asked-but-never-told
    trials stop looking alive (and are reaped after the grace period)."""
    import gc

    study = ts.create_study(space=SPACE, seed=0, heartbeat=0.02)
    study.ask()
    heartbeat = study._heartbeat
    assert heartbeat._thread is not None and heartbeat._thread.is_alive()
    thread = heartbeat._thread
    del study
    gc.collect()
    thread.join(timeout=5.0)
    assert not thread.is_alive()


def _ask_stop_beating_then_tell(url, ready, go, told):
    """Asks a trial, stops its heartbeats (as if every beat queued behind other writers), and
    tells it once the test says so."""
    study = ts.load_study("hb", storage=url)
    trial = study.ask()
    study._heartbeat.stop()
    ready.put(trial.number)
    go.wait(60)
    try:
        study.tell(trial, 7.0)
        told.put(None)
    except Exception as exc:  # noqa: BLE001 - reported to the test
        told.put(repr(exc))


def test_a_live_driver_on_this_host_keeps_its_trial_however_late_its_heartbeat(tmp_path):
    """Under many writers a beat can wait for the lock longer than the grace period: a claim on
    this host must not reap a trial whose owner process is alive (its tell would fail)."""
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    grace = 0.3
    ts.create_study(
        name="hb", storage=url, space=SPACE, seed=0, heartbeat=0.1, grace_period=grace, retries=1
    )
    ctx = mp.get_context("fork")
    ready, go, told = ctx.Queue(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=_ask_stop_beating_then_tell, args=(url, ready, go, told))
    proc.start()
    try:
        number = ready.get(timeout=60)
        started, beat = _heartbeat(url, number)
        last = beat if beat is not None else started
        _wait_for(lambda: time.time() > last + grace + 0.05, "the heartbeat to go stale")
        other = ts.load_study("hb", storage=url)
        other.optimize(lambda t: 1.0, n_trials=2)
        assert other.trials[number].state is TrialState.RUNNING
        go.set()
        assert told.get(timeout=60) is None
        proc.join(timeout=30)
        trials = ts.load_study("hb", storage=url).trials
        assert trials[number].state is TrialState.COMPLETE and trials[number].value == 7.0
        assert not any("retry_of" in t.system_attrs for t in trials)
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=30)


@pytest.mark.parametrize("dropped", [False, True])
def test_in_this_process_a_stale_trial_is_reaped_only_once_no_study_holds_it(tmp_path, dropped):
    """A study of this process that still holds its asked trial keeps it past the grace period;
    once that study is dropped, the trial is lost like a killed process's."""
    import gc

    url = f"sqlite:///{tmp_path / 'hb.db'}"
    grace = 0.2
    asking = ts.create_study(
        name="hb", storage=url, space=SPACE, seed=0, heartbeat=0.05, grace_period=grace
    )
    trial = asking.ask()
    asking._heartbeat.stop()
    number, started = trial.number, time.time()
    if dropped:
        del asking, trial
        gc.collect()
    _wait_for(lambda: time.time() > started + grace + 0.3, "the heartbeat to go stale")
    other = ts.load_study("hb", storage=url)
    other.optimize(lambda t: 1.0, n_trials=1)
    stored = other.trials[number]
    if dropped:
        assert stored.state is TrialState.FAIL and "Lost heartbeat" in stored.error
    else:
        assert stored.state is TrialState.RUNNING
        asking.tell(trial, 3.0)
        assert ts.load_study("hb", storage=url).trials[number].value == 3.0


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_result_for_a_trial_failed_as_lost_meanwhile_warns_and_the_run_goes_on(
    tmp_path, monkeypatch, backend
):
    """A host cut off for longer than the grace period comes back: its tell finds the trial
    failed as lost and queued again. The run warns, keeps the stored record, and goes on."""
    import tunesmith.storage.base as base

    storage = ts.storage.InMemoryStorage() if backend == "memory" else f"sqlite:///{tmp_path}/l.db"
    grace = 0.1
    study = ts.create_study(
        name="cut", storage=storage, space=SPACE, seed=0, heartbeat=0.05, grace_period=grace
    )
    # as if this process ran on another host: judged by its heartbeats alone
    monkeypatch.setattr(base, "runs_here", lambda owner, trial_id: False)

    def objective(trial):
        if trial.number == 0:
            study._heartbeat.stop()
            started = time.time()
            _wait_for(lambda: time.time() > started + grace + 0.05, "the heartbeat to go stale")
            other = ts.load_study("cut", storage=study._storage)
            other.optimize(lambda t: -1.0, n_trials=1)  # reaps trial 0, runs its retry
        return float(trial.params["x"])

    with pytest.warns(RuntimeWarning, match="Trial 0 was failed as lost by another process"):
        study.optimize(objective, n_trials=3, catch=())
    trials = ts.load_study("cut", storage=study._storage).trials
    assert trials[0].state is TrialState.FAIL and trials[0].error.startswith("Lost heartbeat")
    retry = [t for t in trials if t.system_attrs.get("retry_of") == 0]
    assert len(retry) == 1 and retry[0].value == -1.0 and retry[0].params == trials[0].params
    assert sum(t.state is TrialState.COMPLETE for t in trials) == 3  # the retry and two more
