import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tunesmith as ts
from tunesmith import TrialState

SPACE = {"x": ts.Float(-2, 2), "n": ts.Int(1, 5), "k": ts.Choice(["a", "b", "c"])}


def quadratic(trial):
    return (trial.params["x"] - 0.5) ** 2 + trial.params["n"]


class BadFloat:
    """A value whose conversion to float raises."""

    def __float__(self):
        raise ZeroDivisionError("no float here")


@pytest.mark.parametrize(
    "returned, reason",
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("0.3", "not a number"),
        (None, "not a number"),
        ([1.0, 2.0], "returned 2 values; the study has 1 direction"),
        (True, "not a number"),
        (10**400, "OverflowError"),
        (BadFloat(), "ZeroDivisionError"),
    ],
)
def test_garbage_values_fail_only_their_trial(storage, returned, reason):
    study = ts.create_study(storage=storage, space=SPACE, seed=0)

    def objective(trial):
        return returned if trial.number == 1 else trial.params["x"]

    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert states == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    assert reason in study.trials[1].error
    assert study.trials[1].values is None


@pytest.mark.parametrize("returned", [10**400, BadFloat(), (1.0, {"x": "abc"})])
def test_tell_fails_the_trial_for_what_optimize_fails(returned):
    """The one outcome rule: tell records FAIL, never raises or leaves the trial RUNNING."""
    study = ts.create_study(space=SPACE, seed=0)
    told = study.tell(study.ask(), returned)
    study.optimize(lambda t: returned, n_trials=1)
    first, second = study.trials
    assert told.state is first.state is second.state is TrialState.FAIL
    assert first.error == second.error


def test_raising_objective_fails_with_reason_and_study_goes_on(storage):
    study = ts.create_study(storage=storage, space=SPACE, seed=0)

    def objective(trial):
        if trial.number % 2:
            raise ZeroDivisionError("bad luck")
        return 1.0

    study.optimize(objective, n_trials=6)
    failed = [t for t in study.trials if t.state is TrialState.FAIL]
    assert len(failed) == 3 and all(t.error == "ZeroDivisionError: bad luck" for t in failed)
    assert "ZeroDivisionError" in failed[0].traceback and "in objective" in failed[0].traceback
    assert "traceback" not in failed[0].user_attrs


def test_catch_empty_reraises_after_recording(storage):
    study = ts.create_study(storage=storage, space=SPACE)

    def objective(trial):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        study.optimize(objective, n_trials=5, catch=())
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_wrong_arity_multi_objective():
    study = ts.create_study(directions=["minimize", "maximize"], space=SPACE)
    study.optimize(lambda t: 1.0, n_trials=1)
    study.optimize(lambda t: (1.0, 2.0, 3.0), n_trials=1)
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    assert [t.state for t in study.trials] == [
        TrialState.FAIL,
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    assert "2 directions" in study.trials[0].error


def test_best_for_minimize_and_maximize():
    for direction, pick in (("minimize", min), ("maximize", max)):
        study = ts.create_study(direction=direction, space=SPACE, seed=1)
        study.optimize(quadratic, n_trials=30)
        values = [t.value for t in study.trials]
        assert study.best_value == pick(values)
        assert study.best_params == study.trials[values.index(pick(values))].params
        assert study.best_trials == [study.best_trial]


def test_pareto_front():
    study = ts.create_study(directions=["minimize", "maximize"])
    points = [(1, 1), (2, 3), (3, 3), (0, 0), (2, 2), (5, 4)]
    for p in points:
        study.tell(study.ask(), p)
    front = sorted(t.values for t in study.best_trials)
    assert front == [(0, 0), (1, 1), (2, 3), (5, 4)]
    with pytest.raises(RuntimeError, match="read 'best_trials'"):
        _ = study.best_trial


def test_no_best_before_a_completed_trial():
    study = ts.create_study()
    with pytest.raises(ValueError, match="No trial has completed yet"):
        _ = study.best_value


def test_ask_tell_and_states():
    study = ts.create_study(space=SPACE, seed=2)
    a, b, c = study.ask(), study.ask(), study.ask()
    a.report(3.0, 0)
    a.report(2.0, 1)
    study.tell(a, state=TrialState.PRUNED)
    study.tell(b, state=TrialState.FAIL, error="OOM")
    study.tell(c.number, 0.25)
    trials = study.trials
    assert trials[0].state is TrialState.PRUNED and trials[0].value == 2.0
    assert trials[1].state is TrialState.FAIL and trials[1].error == "OOM"
    assert trials[2].value == 0.25 and trials[2].started <= trials[2].finished
    with pytest.raises(ValueError, match="'state' parameter of tell"):
        study.tell(study.ask(), state=TrialState.RUNNING)


def test_ask_batch_and_tell_batch():
    study = ts.create_study(space=SPACE, seed=2)
    trials = study.ask_batch(8)
    assert [t.number for t in trials] == list(range(8))
    study.tell_batch(trials, [t.params["x"] for t in trials])
    assert len(study.trials) == 8 and all(t.state is TrialState.COMPLETE for t in study.trials)
    with pytest.raises(ValueError, match="one entry per trial"):
        study.tell_batch(study.ask_batch(2), [1.0])


def test_batched_objective():
    study = ts.create_study(space=SPACE, seed=4)
    sizes = []

    def objective(trials):
        sizes.append(len(trials))
        return [t.params["x"] if t.number != 3 else float("nan") for t in trials]

    study.optimize(objective, n_trials=20, batch_size=8)
    assert sizes == [8, 8, 4]
    assert len(study.trials) == 20
    assert study.trials[3].state is TrialState.FAIL


def test_pruned_objective_keeps_last_value():
    study = ts.create_study(space=SPACE)

    def objective(trial):
        trial.report(0.9, 0)
        trial.report(0.7, 3)
        raise ts.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert all(t.state is TrialState.PRUNED and t.value == 0.7 for t in study.trials)


def test_callbacks_and_timeout():
    seen = []
    study = ts.create_study(space=SPACE)
    study.optimize(quadratic, n_trials=5, callbacks=[lambda s, t: seen.append(t.number)])
    assert seen == [0, 1, 2, 3, 4]
    study.optimize(quadratic, timeout=0.2)  # no n_trials: stops by time
    assert len(study.trials) > 5


def test_grid_stops_by_itself_and_ask_says_so():
    space = {"a": ts.Int(0, 2), "b": ts.Choice(["x", "y"])}
    study = ts.create_study(space=space, strategy="grid")
    study.optimize(lambda t: t.params["a"], n_trials=100)
    assert len(study.trials) == 6
    assert {(t.params["a"], t.params["b"]) for t in study.trials} == {
        (a, b) for a in range(3) for b in "xy"
    }
    with pytest.raises(ts.StudyExhausted):
        study.ask()


def test_grid_retry_failed():
    space = {"a": ts.Int(0, 3)}
    calls = []

    def flaky(trial):
        calls.append(trial.params["a"])
        if trial.params["a"] == 2 and calls.count(2) == 1:
            raise RuntimeError("transient")
        return trial.params["a"]

    study = ts.create_study(space=space, strategy=ts.strategies.Grid(retry_failed=True))
    study.optimize(flaky)
    assert sorted(calls) == [0, 1, 2, 2, 3]
    plain = ts.create_study(space=space, strategy="grid")
    calls.clear()
    plain.optimize(flaky)
    assert sorted(calls) == [0, 1, 2, 3]


@pytest.mark.parametrize("strategy", ["random", "grid"])
def test_same_trials_whatever_n_jobs(strategy):
    space = {"x": ts.Float(0, 1, step=0.1), "k": ts.Choice(["a", "b"]), "n": ts.Int(1, 3)}

    def run(n_jobs, executor=None):
        study = ts.create_study(space=space, strategy=strategy, seed=11)
        study.optimize(_sum_objective, n_trials=40, n_jobs=n_jobs, executor=executor)
        return [(t.number, t.params, t.value) for t in study.trials]

    serial = run(1)
    assert run(4) == serial
    assert run(2, "process") == serial


def _sum_objective(trial):
    return trial.params["x"] + trial.params["n"]


def test_define_by_run_is_seeded_and_infers_space():
    def objective(trial):
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_int("depth", 1, 8)
        return x

    first = ts.create_study(seed=5)
    first.optimize(objective, n_trials=10)
    second = ts.create_study(seed=5)
    second.optimize(objective, n_trials=10, n_jobs=3)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    assert set(first.search_space) == {"x", "kind", "depth"}
    assert all(1e-3 <= t.params["x"] <= 1.0 for t in first.trials)


def test_suggest_same_name_with_conflicting_range_is_an_error():
    study = ts.create_study()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        trial.suggest_int("x", 5, 9)
        return 0.0

    study.optimize(objective, n_trials=1)
    assert "cannot be suggested again" in study.trials[0].error


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_trials": 0}, "'n_trials' parameter of optimize must be an int >= 1"),
        ({"n_trials": 2.5}, "'n_trials'"),
        ({"timeout": -1}, "'timeout' parameter of optimize must be a number > 0"),
        ({"n_jobs": 0}, "'n_jobs' parameter of optimize"),
        ({"catch": (int,)}, "'catch' parameter of optimize"),
        ({"callbacks": [1]}, "'callbacks'"),
        ({"batch_size": 0}, "'batch_size'"),
    ],
)
def test_optimize_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ts.create_study().optimize(quadratic, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"direction": "up"}, "'direction' parameter of create_study must be 'minimize' or"),
        ({"directions": []}, "'directions' parameter of create_study must be a non-empty"),
        ({"strategy": "annealing"}, "'strategy' parameter of create_study must be a Strategy"),
        ({"seed": -1}, "'seed' parameter of create_study"),
        ({"storage": 3}, "'storage' parameter must be None"),
        ({"storage": "mysql://x"}, "'storage' parameter must be None"),
        ({"name": ""}, "'name' parameter of create_study"),
    ],
)
def test_create_study_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ts.create_study(**kwargs)


def test_to_dataframe():
    study = ts.create_study(space=SPACE, seed=0)
    study.optimize(quadratic, n_trials=4)
    df = study.to_dataframe()
    assert list(df["number"]) == [0, 1, 2, 3]
    assert {"value", "params_x", "params_n", "params_k", "state", "duration"} <= set(df.columns)
    assert np.allclose(df["value"], [t.value for t in study.trials])


def test_reopen_after_the_process_ends(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    script = textwrap.dedent(f"""
        import tunesmith as ts
        s = ts.create_study(name="persist", storage={url!r}, space={{"x": ts.Float(0, 1)}},
                            strategy="random", seed=9, direction="maximize")
        s.optimize(lambda t: t.params["x"], n_trials=12)
        print(s.best_value)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    study = ts.load_study("persist", storage=url)
    assert len(study.trials) == 12 and study.direction == "maximize"
    assert math.isclose(study.best_value, float(out.stdout), rel_tol=1e-12)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    assert [t.number for t in study.trials] == list(range(15))


def test_define_by_run_trials_record_only_the_parameters_they_suggest():
    def objective(trial):
        kind = trial.suggest_categorical("kind", ["tree", "linear"])
        if kind == "tree":
            return trial.suggest_int("depth", 1, 8)
        return trial.suggest_float("c", 1e-3, 1.0, log=True)

    study = ts.create_study(strategy="genetic", seed=1)
    study.optimize(objective, n_trials=60)
    for t in study.trials:
        expected = {"kind", "depth"} if t.params["kind"] == "tree" else {"kind", "c"}
        assert set(t.params) == expected


def test_optimize_without_a_bar_never_reads_the_best_value(monkeypatch):
    """The best-so-far text reads every trial; only a shown progress bar may ask for it, or
    each trial would cost more the longer the study runs."""
    study = ts.create_study(space=SPACE, seed=0)

    def refuse():
        raise AssertionError("best value read without a progress bar")

    monkeypatch.setattr(study, "_best_text", refuse)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
