"""Many drivers on one storage, and a database that restarts under them."""

import multiprocessing as mp
import threading
import time

import pytest

import tunesmith as ts
from _postgres import restart
from tunesmith import TrialState

GRID = {"a": ts.Int(0, 39), "b": ts.Int(0, 49)}  # 2,000 grid points


def _objective(trial):
    return trial.params["a"] * 100 + trial.params["b"]


def _driver(url, queue):
    try:
        study = ts.load_study("load", storage=url)
        study.optimize(_objective, catch=())  # runs until the grid is exhausted
        queue.put(None)
    except BaseException as exc:
        queue.put(repr(exc))


def _run_drivers(url, n_procs):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_driver, args=(url, queue)) for _ in range(n_procs)]
    for p in procs:
        p.start()
    errors = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return [e for e in errors if e is not None]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_32_drivers_2000_grid_points_each_once(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'load.db'}"
    else:
        from conftest import _fresh_database

        url = _fresh_database(request.getfixturevalue("postgres")[0])
    ts.create_study(name="load", storage=url, space=GRID, strategy="grid")
    assert _run_drivers(url, 32) == []
    trials = ts.load_study("load", storage=url).trials
    keys = [(t.params["a"], t.params["b"]) for t in trials]
    assert len(trials) == 2000 and len(set(keys)) == 2000
    assert all(t.state is TrialState.COMPLETE and t.value == _objective(t) for t in trials)
    assert [t.number for t in trials] == list(range(2000))


def test_postgres_restart_during_a_run(postgres):
    from conftest import _fresh_database

    server_url, handle = postgres
    url = _fresh_database(server_url)
    study = ts.create_study(name="restart", storage=url, space=GRID, strategy="random", seed=0)
    begun, done_at = threading.Event(), []

    def restart_server():
        begun.set()
        restart(handle)
        done_at.append(time.time())

    def objective(trial):
        if trial.number == 50:
            threading.Thread(target=restart_server).start()
            begun.wait(timeout=60)  # the tell of this trial meets a server going down
        return _objective(trial)

    study.optimize(objective, n_trials=300, catch=())
    trials = ts.load_study("restart", storage=url).trials
    assert done_at, "the server was not restarted"
    assert len(trials) == 300
    assert all(t.state is TrialState.COMPLETE and t.value == _objective(t) for t in trials)
    assert sum(t.finished > done_at[0] for t in trials) > 0  # the run went on after the restart
