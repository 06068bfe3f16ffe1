"""Many processes on one SQLite file: no lock errors, nothing lost, no grid point twice."""

import multiprocessing as mp

import tunesmith as ts
from tunesmith import TrialState

SPACE = {"a": ts.Int(0, 24), "b": ts.Choice(["x", "y", "z", "w"])}  # 100 grid points


def _objective(trial):
    return trial.params["a"] * 10 + ord(trial.params["b"])


def _worker(url, name, n_trials, queue):
    try:
        study = ts.load_study(name, storage=url)
        study.optimize(_objective, n_trials=n_trials, catch=())
        queue.put(None)
    except BaseException as exc:  # report to the parent, which asserts none happened
        queue.put(repr(exc))


def _run_workers(url, name, n_procs, n_trials):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, name, n_trials, queue)) for _ in range(n_procs)]
    try:
        for p in procs:
            p.start()
        errors = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0, p.exitcode
    finally:  # a worker that hangs or a failed assertion leaves no process behind
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(timeout=30)
    return [e for e in errors if e is not None]


def test_grid_across_processes_runs_every_point_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    ts.create_study(name="g", storage=url, space=SPACE, strategy="grid")
    errors = _run_workers(url, "g", n_procs=8, n_trials=1000)  # each stops when the grid is done
    assert errors == []
    trials = ts.load_study("g", storage=url).trials
    keys = [(t.params["a"], t.params["b"]) for t in trials]
    assert len(keys) == 100 and len(set(keys)) == 100
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert [t.number for t in trials] == list(range(100))


def test_random_across_processes_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'rand.db'}"
    space = {**SPACE, "c": ts.Float(0.0, 1.0)}  # not finite: random never runs out
    ts.create_study(name="r", storage=url, space=space, strategy="random", seed=0)
    errors = _run_workers(url, "r", n_procs=8, n_trials=40)
    assert errors == []
    trials = ts.load_study("r", storage=url).trials
    assert len(trials) == 320
    assert all(t.state is TrialState.COMPLETE and t.value == _objective(t) for t in trials)


def test_random_over_a_finite_space_across_processes_draws_each_point_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'finite.db'}"
    ts.create_study(name="f", storage=url, space=SPACE, strategy="random", seed=0)
    errors = _run_workers(url, "f", n_procs=8, n_trials=40)  # 320 asked of 100 points
    assert errors == []
    trials = ts.load_study("f", storage=url).trials
    keys = {(t.params["a"], t.params["b"]) for t in trials}
    assert len(trials) == 100 and len(keys) == 100
