"""Ray execution on a local 2-CPU Ray instance: every strategy, batches, and a killed task."""

import os
import signal
import sys

import pytest

import tunesmith as ts
from tunesmith import TrialState

ray = pytest.importorskip("ray")

SPACE = {"x": ts.Float(-3, 3), "k": ts.Choice(["a", "b"])}


# Ray workers import objectives by module name; this test module is not importable there.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


def _square(trial):
    return trial.params["x"] ** 2 + (trial.params["k"] == "b")


@pytest.mark.parametrize("strategy", ["random", "grid", "genetic"])
def test_strategies_run_on_ray_like_locally(local_ray, strategy):
    space = {"x": ts.Float(-3, 3, step=1.0), "k": ts.Choice(["a", "b"])}

    def run(executor, n_jobs):
        study = ts.create_study(space=space, strategy=strategy, seed=4)
        study.optimize(_square, n_trials=14, n_jobs=n_jobs, executor=executor)
        return [(t.params, t.value, t.state) for t in study.trials]

    on_ray = run(ts.RayExecutor(max_concurrent=2), 1)
    assert on_ray == run(None, 1)
    assert all(state is TrialState.COMPLETE for _, _, state in on_ray)


def _batched(trials):
    return [_square(t) for t in trials]


def test_batched_objective_runs_as_one_ray_task(local_ray):
    study = ts.create_study(space=SPACE, strategy="random", seed=1)
    study.optimize(_batched, n_trials=40, batch_size=16, executor="ray")
    trials = study.trials
    assert len(trials) == 40 and all(t.value == _square(t) for t in trials)


def _dies_once_in(directory):
    def objective(trial):
        marker = os.path.join(directory, f"ray-{trial.params['x']!r}")  # a retry has the same x
        if trial.number % 4 == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)  # the Ray worker dies mid-trial
        return trial.params["x"]

    return objective


def test_killed_ray_task_fails_and_is_retried(local_ray, tmp_path):
    study = ts.create_study(space=SPACE, seed=2, retries=1)
    study.optimize(
        _dies_once_in(str(tmp_path)), n_trials=12, executor=ts.RayExecutor(max_concurrent=2)
    )
    trials = study.trials
    died = [t for t in trials if t.state is TrialState.FAIL]
    assert died and all("worker died" in t.error for t in died)
    for t in died:
        retry = [r for r in trials if r.system_attrs.get("retry_of") == t.number]
        assert len(retry) == 1 and retry[0].params == t.params
        assert retry[0].state in (TrialState.COMPLETE, TrialState.WAITING)


def test_ray_trial_timeout_cancels_the_task(local_ray):
    import time

    def hang(trial):
        if trial.number == 0:
            time.sleep(3600)
        return 0.0

    # On Ray the clock starts at the submit, a worker's start-up included (seconds on a busy
    # machine): the workers start on a first run, then the timed one.
    executor = ts.RayExecutor(max_concurrent=2)
    ts.create_study(space=SPACE, seed=0).optimize(_square, n_trials=4, executor=executor)
    study = ts.create_study(space=SPACE, seed=0)
    study.optimize(hang, n_trials=3, executor=executor, trial_timeout=3.0)
    first = study.trials[0]
    assert first.state is TrialState.FAIL and "Timed out" in first.error
    assert [t.state for t in study.trials[1:]] == [TrialState.COMPLETE] * 2


def test_ray_executor_validates_arguments():
    with pytest.raises(ValueError, match="'resources_per_trial' parameter of RayExecutor"):
        ts.RayExecutor(resources_per_trial={"gpu": -1})
    with pytest.raises(ValueError, match="'max_concurrent' parameter of RayExecutor"):
        ts.RayExecutor(max_concurrent=0)
