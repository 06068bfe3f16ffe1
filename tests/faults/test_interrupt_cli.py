"""Stopping `tunesmith run` the ordinary ways and resuming it with the same command.

For every strategy, signal (Ctrl-C to the process group, SIGTERM, SIGKILL) and --jobs 1 / 2, a
real CLI process on a real SQLite file is stopped while trials run, then the same command runs
again. The resumed run must end in bounded time with no trial left RUNNING, the interrupted
trials run again with their parameters, and a grid with each point COMPLETE exactly once.
Synchronization is by conditions on the database, with deadlines; no sleeps.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunesmith as ts
from tunesmith.space import grid_points
from tunesmith.strategies import CMAES, NSGA2, TPE, Genetic, GradientDescent, Grid, Random

FLOAT_SPACE = {"x": ts.Float(-2.0, 2.0), "y": ts.Float(-2.0, 2.0)}
GRID_SPACE = {"x": ts.Int(-1, 2), "y": ts.Choice([0.0, 0.5, 1.0])}  # 12 points

STRATEGIES = {
    "grid": lambda: Grid(),
    "random": lambda: Random(),
    "genetic": lambda: Genetic(population_size=4),
    "genetic-steady": lambda: Genetic(population_size=4, steady_state=True),
    "tpe": lambda: TPE(n_startup_trials=3),
    "cmaes": lambda: CMAES(population_size=4),
    "gradient": lambda: GradientDescent(),
    "nsga2": lambda: NSGA2(population_size=4),
}
SIGNALS = ["SIGINT", "SIGTERM", "SIGKILL"]
EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -signal.SIGKILL}
N_TRIALS = 8

OBJECTIVE = """
import time
import tunesmith as ts

space = {space}
directions = {directions}


def objective(trial):
    time.sleep(0.1)
    x, y = trial.params["x"], trial.params["y"]
    if len(directions) == 2:
        return x * x + y * y, (x - 1) ** 2 + y * y
    return x * x + y * y
"""


def _write_objective(folder: Path, kind: str) -> tuple[Path, dict, list[str]]:
    space = GRID_SPACE if kind == "grid" else FLOAT_SPACE
    directions = ["minimize", "minimize"] if kind == "nsga2" else ["minimize"]
    spec = (
        "{'x': ts.Int(-1, 2), 'y': ts.Choice([0.0, 0.5, 1.0])}"
        if kind == "grid"
        else "{'x': ts.Float(-2.0, 2.0), 'y': ts.Float(-2.0, 2.0)}"
    )
    text = OBJECTIVE.format(space=spec, directions=directions)
    path = folder / "objective.py"
    path.write_text(text)
    return path, space, directions


def _rows(db: Path) -> list[dict]:
    """Every trial row as stored (read with a separate connection, as another process would)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        con.row_factory = sqlite3.Row
        rows = con.execute(
            "SELECT number, state, params, system_attrs, error FROM tunesmith_trials "
            "ORDER BY number"
        ).fetchall()
    finally:
        con.close()
    return [
        {
            "number": r["number"],
            "state": r["state"],
            "params": json.loads(r["params"]),
            "system": json.loads(r["system_attrs"]),
            "error": r["error"],
        }
        for r in rows
    ]


def _wait_for(condition, what: str, proc: subprocess.Popen | None = None, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def _command(path: Path, url: str, jobs: int, trials: int) -> list[str]:
    return [
        sys.executable, "-m", "tunesmith.cli", "run", str(path), "--name", "s",
        "--storage", url, "--trials", str(trials), "--jobs", str(jobs),
    ]  # fmt: skip


def _mid_run(db: Path, jobs: int):
    """Rows once some trials have finished and others are running (a run caught mid-way)."""

    def look():
        rows = _rows(db)
        done = [r for r in rows if r["state"] in ("COMPLETE", "FAIL")]
        running = [r for r in rows if r["state"] == "RUNNING"]
        return rows if len(done) >= 2 and len(running) >= 1 else None

    return look


def _interrupt(proc: subprocess.Popen, how: str) -> None:
    if how == "SIGINT":  # Ctrl-C in a terminal: the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, getattr(signal, how))


def _communicate_or_dump(proc: subprocess.Popen, timeout: float = 90.0) -> str:
    """The run's stderr once it exits; if it hangs, fail with every thread's stack."""
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER=1 prints all threads' stacks
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"the run did not exit {timeout} s after the signal:\n{err}") from None


def run_interrupted(tmp_path: Path, url: str, db: Path | None, kind: str, how: str, jobs: int):
    """Create the study, stop its CLI run mid-way with ``how``, resume it; return the trials."""
    path, space, directions = _write_objective(tmp_path, kind)
    ts.create_study(
        name="s", storage=url, strategy=STRATEGIES[kind](), space=space,
        directions=directions, seed=0,
    )  # fmt: skip
    trials = 20 if kind == "grid" else N_TRIALS
    command = _command(path, url, jobs, trials)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    first = subprocess.Popen(
        command, cwd=tmp_path, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        study = ts.load_study("s", storage=url)
        look = _mid_run(db, jobs) if db is not None else _mid_run_any(study)
        snapshot = _wait_for(look, "trials to finish and run", first)
        running = {r["number"]: r["params"] for r in snapshot if r["state"] == "RUNNING"}
        _interrupt(first, how)
        err = _communicate_or_dump(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert first.returncode == EXIT[how], err
    if how != "SIGKILL":
        assert "put back" in err and "Traceback" not in err, err
        assert (
            err.strip()
            .splitlines()[-1]
            .startswith("Interrupted:" if how == "SIGINT" else "Terminated:")
        )
    resumed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=180)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    return ts.load_study("s", storage=url).trials, running, space


def _mid_run_any(study):
    def look():
        rows = [
            {"number": t.number, "state": t.state.value, "params": t.params} for t in study.trials
        ]
        done = [r for r in rows if r["state"] in ("COMPLETE", "FAIL")]
        running = [r for r in rows if r["state"] == "RUNNING"]
        return rows if len(done) >= 2 and running else None

    return look


def check_resumed(trials, running, space, kind: str, how: str) -> None:
    """What an interrupted-then-resumed study must look like."""
    by_number = {t.number: t for t in trials}
    assert not [t.number for t in trials if t.state is ts.TrialState.RUNNING]
    for number, params in running.items():
        trial = by_number[number]
        assert trial.params == params
        if how == "SIGKILL":  # lost: failed by the machine, then run again with its params
            assert trial.state is ts.TrialState.FAIL and trial.system_attrs.get("lost"), trial
            reruns = [t for t in trials if t.system_attrs.get("retry_of") == number]
            assert len(reruns) == 1 and reruns[0].params == params
            assert reruns[0].state is ts.TrialState.COMPLETE
        else:  # finished within the grace, or put back and run first by the next run
            assert trial.state is ts.TrialState.COMPLETE, trial
    failed = [t for t in trials if t.state is ts.TrialState.FAIL]
    assert all(t.system_attrs.get("lost") for t in failed), [t.error for t in failed]
    complete = [t for t in trials if t.state is ts.TrialState.COMPLETE]
    if kind == "grid":
        keys = sorted(json.dumps(t.params, sort_keys=True) for t in complete)
        expected = sorted(json.dumps(p, sort_keys=True) for p in grid_points(space))
        assert keys == expected  # every point COMPLETE, exactly once
    else:
        assert len(complete) >= N_TRIALS + 2  # the resumed run did its whole budget


@pytest.mark.parametrize(
    "kind,how,jobs", list(itertools.product(STRATEGIES, SIGNALS, [1, 2]))
)  # fmt: skip
def test_interrupted_cli_run_resumes(tmp_path, kind, how, jobs):
    db = tmp_path / "study.db"
    url = f"sqlite:///{db}"
    trials, running, space = run_interrupted(tmp_path, url, db, kind, how, jobs)
    check_resumed(trials, running, space, kind, how)


@pytest.mark.parametrize("kind", ["grid", "genetic"])
def test_killed_cli_run_resumes_on_postgres(tmp_path, postgres, kind):
    from tests.conftest import _fresh_database

    url = _fresh_database(postgres[0])
    trials, running, space = run_interrupted(tmp_path, url, None, kind, "SIGKILL", 2)
    check_resumed(trials, running, space, kind, "SIGKILL")
