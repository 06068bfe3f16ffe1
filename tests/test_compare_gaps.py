"""compare: techniques whose evaluations fail say so, peers' runs are stored as finished trials,
and Ctrl-C stops a comparison so that running it again evaluates only what is missing."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.test_compare import _Sampler

import tunesmith as ts
from tunesmith import compare
from tunesmith.compare.stored import run_one
from tunesmith.storage import InMemoryStorage, get_storage
from tunesmith.trial import TrialState

SPACE = {"x": ts.Float(-1.0, 1.0), "y": ts.Float(-1.0, 1.0)}


class _Diverging:
    """A runner that evaluates by its own means and records every evaluation as failed."""

    name = "diverging"

    def run(self, task: compare.Task) -> None:
        for i in range(task.budget):
            task.record({"x": 0.0, "y": i / task.budget}, None, 0.001, error="solver diverged")


def _always_fails(trial: ts.Trial) -> float:
    raise ValueError(f"bad x {trial.params['x']:.3f}")


def _bowl(trial: ts.Trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + (trial.params["y"] + 0.2) ** 2


def _terminal(comparison: compare.Comparison) -> str:
    out = io.StringIO()
    comparison.print_summary(Console(file=out, width=200, color_system=None))
    return out.getvalue()


# -- an objective that always fails ------------------------------------------------------------
def test_an_objective_that_always_fails_is_reported_plainly(tmp_path: Path) -> None:
    storage = InMemoryStorage()
    techniques = ["random", "grid", "tpe", _Sampler()]
    result = compare.run(_always_fails, SPACE, techniques, budget=4, seeds=2, storage=storage)
    summary = result.summary()
    assert summary.reference is None
    for row in summary.rows:
        made = 2 * 4
        assert (row.made, row.failed, row.best) == (made, made, None)
        assert row.last_error.startswith("ValueError: bad x ")
        assert row.reading.startswith(
            f"every evaluation failed ({made} of {made}): {row.last_error} (last error); "
        )
    last = result.runs("sampler")[-1].evaluations[-1]
    assert summary.row("sampler").last_error == f"ValueError: bad x {last.params['x']:.3f}"
    paths = result.report(tmp_path / "rep", contours=True)  # the plots draw nothing, and say so
    md, page = paths.markdown.read_text(), paths.html.read_text()
    for row in summary.rows:
        assert f"| {row.technique} | 2 | all failed | - |" in md and "| 8/8 |" in md
        assert f"- **{row.technique}**: {row.reading}." in md
        assert "every evaluation failed (8 of 8): ValueError: bad x" in page
    assert all(p.stat().st_size > 0 for p in paths.images.values())
    terminal = _terminal(result)
    assert terminal.count("every evaluation failed (8 of 8): ValueError: bad x ") == 4
    # Stored and read back, the reasons are the same: the peer's came through add_trials.
    reloaded = compare.load("compare", storage).summary()
    assert [(r.made, r.failed, r.last_error) for r in reloaded.rows] == [
        (r.made, r.failed, r.last_error) for r in summary.rows
    ]


def test_a_technique_with_no_success_among_others_says_so_and_draws(tmp_path: Path) -> None:
    result = compare.run(_bowl, SPACE, ["random", _Diverging()], budget=5, seeds=2, storage=None)
    summary = result.summary()
    diverging, random = summary.row("diverging"), summary.row("random")
    assert summary.reference is not None
    assert diverging.reading.startswith(
        "every evaluation failed (10 of 10): solver diverged (last error); "
    )
    assert (random.failed, random.made) == (0, 10) and "failed" not in random.reading
    paths = result.report(tmp_path / "rep", contours=True)
    md = paths.markdown.read_text()
    assert "| diverging | 2 | all failed |" in md and "| 10/10 |" in md
    assert "| random | 2 | " in md and "| 0/10 |" in md
    assert set(paths.images) == {"convergence", "final values", "evaluated points"}


def test_partial_failures_are_counted_in_the_table_and_the_notes(tmp_path: Path) -> None:
    def objective(trial: ts.Trial) -> float:
        if trial.params["x"] > 0.2:
            raise RuntimeError(f"x too large: {trial.params['x']:.3f}")
        return _bowl(trial)

    result = compare.run(objective, SPACE, ["random", _Sampler()], budget=12, seeds=2)
    summary = result.summary()
    for technique in ("random", "sampler"):
        done = [e for r in result.runs(technique) for e in r.evaluations]
        bad = [e for e in done if e.params["x"] > 0.2]
        row = summary.row(technique)
        assert 0 < len(bad) < len(done) == 24
        assert (row.failed, row.made) == (len(bad), 24)
        assert row.last_error == f"RuntimeError: x too large: {bad[-1].params['x']:.3f}"
        note = f"{len(bad)} of 24 evaluations failed ({len(bad) / 24:.0%}; last error: "
        md = result.report(tmp_path / technique, contours=False).markdown.read_text()
        assert f"- **{technique}**: {note}{row.last_error})" in md
        assert f"| {len(bad)}/24 |" in md
        assert f"{technique}: {note}" in _terminal(result)


# -- a peer's run is stored as finished trials -------------------------------------------------
def test_a_peer_run_is_stored_as_finished_trials_in_one_write() -> None:
    storage = InMemoryStorage()

    def objective(trial: ts.Trial) -> float:
        return float("nan") if trial.params["x"] > 0.5 else _bowl(trial)

    result = compare.run(objective, SPACE, [_Sampler()], budget=8, seeds=1, storage=storage)
    stored = ts.load_study("compare/sampler/seed0", storage, strategy="random").trials
    evaluations = result.runs("sampler")[0].evaluations
    assert [t.number for t in stored] == list(range(8))
    assert [t.params for t in stored] == [e.params for e in evaluations]
    for t, e in zip(stored, evaluations):
        assert t.state is (TrialState.FAIL if e.params["x"] > 0.5 else TrialState.COMPLETE)
        assert t.values == (None if e.value is None else (e.value,))
        assert t.error == e.error and (t.error is None) == (e.value is not None)
        assert t.user_attrs == {"compare_seconds": e.seconds, "compare_wall": e.wall}
    assert any(t.state is TrialState.FAIL for t in stored)
    assert "objective returned nan" in next(t.error for t in stored if t.error).lower()


# -- Ctrl-C ------------------------------------------------------------------------------------
def _interrupting(after: int, calls: list[dict[str, Any]]) -> Any:
    """The bowl, recording its calls; the call after ``after`` of them raises Ctrl-C."""

    def objective(trial: ts.Trial) -> float:
        calls.append(dict(trial.params))
        if len(calls) == after + 1:
            raise KeyboardInterrupt
        return _bowl(trial)

    return objective


def _finished(storage: Any) -> dict[str, int]:
    backend = get_storage(storage)
    out = {}
    for info in backend.list_studies():
        trials, _ = backend.read(info.study_id, 0)
        assert not any(t.state is TrialState.FAIL for t in trials)  # no interrupt counted
        out[info.name] = sum(t.state.finished for t in trials)
    return out


def test_ctrl_c_stops_the_comparison_and_the_next_call_runs_only_what_is_missing() -> None:
    storage, reference = InMemoryStorage(), InMemoryStorage()
    kwargs = {"strategies": ["random", "tpe"], "budget": 5, "seeds": 2}
    whole = compare.run(_bowl, SPACE, storage=reference, **kwargs)
    calls: list[dict[str, Any]] = []
    with pytest.raises(KeyboardInterrupt):
        compare.run(_interrupting(6, calls), SPACE, storage=storage, **kwargs)
    assert len(calls) == 7  # nothing ran after the interrupted evaluation
    assert _finished(storage) == {"compare/random/seed0": 5, "compare/random/seed1": 1}
    again: list[dict[str, Any]] = []
    resumed = compare.run(_interrupting(10**6, again), SPACE, storage=storage, **kwargs)
    assert len(again) == 4 * 5 - 6  # exactly what was missing
    assert again[0] == calls[-1]  # the interrupted evaluation runs again, first
    for a, b in zip(resumed.records, whole.records):
        assert [e.params for e in a.evaluations] == [e.params for e in b.evaluations]
        assert [e.value for e in a.evaluations] == [e.value for e in b.evaluations]


class _Swallowing(_Sampler):
    """A peer that catches everything its evaluations raise and returns, Ctrl-C included."""

    name = "swallowing"

    def run(self, task: compare.Task) -> None:
        try:
            super().run(task)
        except BaseException:  # noqa: BLE001 - what a careless search library does
            return


@pytest.mark.parametrize("peer", [_Sampler, _Swallowing])
def test_an_interrupted_peer_run_is_not_stored_and_runs_again_whole(peer: type) -> None:
    storage = InMemoryStorage()
    kwargs = {"budget": 4, "seeds": 2, "storage": storage}
    calls: list[dict[str, Any]] = []
    with pytest.raises(KeyboardInterrupt):
        compare.run(_interrupting(6, calls), SPACE, [peer()], **kwargs)
    name = f"compare/{peer.name}"
    assert len(calls) == 7 and _finished(storage) == {f"{name}/seed0": 4}
    again: list[dict[str, Any]] = []
    result = compare.run(_interrupting(10**6, again), SPACE, [peer()], **kwargs)
    assert (
        again == calls[4:6] + [calls[6]] + again[3:] and len(again) == 4
    )  # seed 1, from its start
    assert _finished(storage) == {f"{name}/seed0": 4, f"{name}/seed1": 4}
    assert [len(r.evaluations) for r in result.records] == [4, 4]


_PROCESS_CALLS: dict[int, int] = {}


def _interrupted_in_workers(trial: ts.Trial) -> float:
    """The bowl; in a worker process, its third call is cut short by Ctrl-C."""
    pid = os.getpid()
    _PROCESS_CALLS[pid] = _PROCESS_CALLS.get(pid, 0) + 1
    if _PROCESS_CALLS[pid] == 3 and pid != _PARENT:
        raise KeyboardInterrupt
    return _bowl(trial)


_PARENT = os.getpid()


def test_ctrl_c_in_worker_processes_stops_every_run(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'pool.db'}"
    kwargs = {"strategies": ["random", "tpe", "genetic"], "budget": 6, "seeds": 2}
    with pytest.raises(KeyboardInterrupt):
        compare.run(_interrupted_in_workers, SPACE, storage=storage, n_jobs=2, **kwargs)
    done = _finished(storage)
    assert 0 < sum(done.values()) <= 2 * 2 + 2  # no run went on, none started after the stop
    calls: list[dict[str, Any]] = []
    result = compare.run(_interrupting(10**6, calls), SPACE, storage=storage, **kwargs)
    assert len(calls) == 3 * 2 * 6 - sum(done.values())
    assert [len(r.evaluations) for r in result.records] == [6] * 6


def test_ctrl_c_in_the_parent_stops_the_runs_in_worker_processes(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'parent.db'}"
    kwargs = {"strategies": ["random", "tpe", "genetic"], "budget": 6, "seeds": 2}

    def ctrl_c(record: compare.RunRecord) -> None:  # Ctrl-C as the first run comes back
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare.run(_bowl, SPACE, storage=storage, n_jobs=2, on_record=ctrl_c, **kwargs)
    done = _finished(storage)
    assert 6 <= sum(done.values()) <= 2 * 6  # the run in the other worker stopped; no new one
    calls: list[dict[str, Any]] = []
    result = compare.run(_interrupting(10**6, calls), SPACE, storage=storage, **kwargs)
    assert len(calls) == 3 * 2 * 6 - sum(done.values())
    assert [len(r.evaluations) for r in result.records] == [6] * 6


def test_a_stopped_task_calls_the_objective_no_more() -> None:
    calls: list[dict[str, Any]] = []
    objective = _interrupting(10**6, calls)
    task = compare.Task(objective, dict(SPACE), "minimize", 5, seed=0, stop=lambda: len(calls) >= 2)
    task.evaluate({"x": 0.0, "y": 0.0})
    task.evaluate({"x": 0.5, "y": 0.0})
    with pytest.raises(KeyboardInterrupt):
        task.evaluate({"x": 1.0, "y": 0.0})
    assert len(calls) == 2 and len(task.evaluations) == 2 and task.interrupted
    storage = InMemoryStorage()
    runner = compare.StrategyRunner("random")
    stop = lambda: len(calls) >= 5  # noqa: E731 - three evaluations of the study, then stop
    with pytest.raises(KeyboardInterrupt):
        run_one(runner, 0, storage, objective, dict(SPACE), "minimize", 5, "cmp", stop=stop)
    trials = ts.load_study("cmp/random/seed0", storage).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.WAITING]


class _Persistent(_Sampler):
    """A peer that swallows every evaluation's exception, Ctrl-C included, and goes on."""

    name = "persistent"

    def run(self, task: compare.Task) -> None:
        for i in range(task.budget):
            try:
                task.evaluate({"x": i / task.budget, "y": 0.0})
            except BaseException:  # noqa: BLE001 - what a careless search library does
                continue


def test_a_peer_that_goes_on_after_ctrl_c_evaluates_no_more() -> None:
    calls: list[dict[str, Any]] = []
    storage = InMemoryStorage()
    with pytest.raises(KeyboardInterrupt):
        compare.run(_interrupting(2, calls), SPACE, [_Persistent()], 6, 1, storage=storage)
    assert len(calls) == 3 and _finished(storage) == {}


_CTRL_C_SCRIPT = """
import os, sys, time
import tunesmith as ts
from tunesmith import compare

FOLDER = sys.argv[1]


def objective(trial):
    calls = os.path.join(FOLDER, f"calls-{os.getpid()}")
    with open(calls, "a") as f:
        f.write("x\\n")
    with open(calls) as f:
        n = len(f.readlines())
    if n == 3:  # the third evaluation of each worker waits for Ctrl-C (at most a minute)
        open(os.path.join(FOLDER, f"waiting-{os.getpid()}"), "w").close()
        end = time.monotonic() + 60
        while time.monotonic() < end:
            time.sleep(0.01)
    return (trial.params["x"] - 0.3) ** 2 + trial.params["y"] ** 2


space = {"x": ts.Float(-1.0, 1.0), "y": ts.Float(-1.0, 1.0)}
compare.run(objective, space, strategies=["random", "tpe", "genetic"], budget=6, seeds=2,
            n_jobs=2, storage=f"sqlite:///{FOLDER}/sigint.db")
print("finished without interruption")
"""


def test_sigint_to_a_comparison_in_processes_keeps_only_finished_evaluations(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "ctrl_c.py"
    script.write_text(_CTRL_C_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches it and its workers
    )
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("waiting-*"))) < 2:  # both workers are mid-evaluation
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers never reached their third evaluation"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, (out, err)
    assert "finished without interruption" not in out
    storage = f"sqlite:///{tmp_path / 'sigint.db'}"
    assert sum(_finished(storage).values()) == 2 * 2  # two per worker; the waiting ones put back
    calls: list[dict[str, Any]] = []
    kwargs = {"strategies": ["random", "tpe", "genetic"], "budget": 6, "seeds": 2}
    result = compare.run(_interrupting(10**6, calls), SPACE, storage=storage, **kwargs)
    assert len(calls) == 3 * 2 * 6 - 2 * 2
    assert [len(r.evaluations) for r in result.records] == [6] * 6
