"""The inspecting commands of ``tunesmith``: ``trials --failed``, ``show``, ``delete``, what
``studies`` lists, and the storages every command refuses or cannot read."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.test_cli import tunesmith_cmd

import tunesmith as ts
from tunesmith.cli import cli
from tunesmith.storage import StudyNotFoundError

OBJECTIVES = """
import os
import signal
from pathlib import Path

import tunesmith as ts

space = {"x": ts.Float(0.0, 1.0)}


def objective(trial):
    for step in range(3):
        trial.report(trial.params["x"] * (3 - step), step)
    trial.set_user_attr("note", "fine")
    return trial.params["x"]


def flaky(trial):
    settings = {"x": trial.params["x"]}
    if trial.number % 2:
        return settings["y"]  # MISSING KEY
    return settings["x"]


def killed(trial):
    if Path("kill-me").exists():
        Path("kill-me").unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return trial.params["x"]


def interrupted(trial):
    if Path("interrupt-me").exists():
        Path("interrupt-me").unlink()
        raise KeyboardInterrupt
    return trial.params["x"]
"""

URL = "sqlite:///tunesmith.db"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory holding ``obj.py``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # run puts the file's folder on sys.path
    (tmp_path / "obj.py").write_text(OBJECTIVES)
    return tmp_path


def invoke(*args: str, code: int = 0, stdin: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def as_json(*args: str):
    return json.loads(invoke(*args, "--format", "json").stdout)


def one_line_error(result, needle: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.output


def failing_line() -> int:
    """Line number of the objective's failing statement in obj.py."""
    return next(i for i, line in enumerate(OBJECTIVES.splitlines(), 1) if "MISSING KEY" in line)


# -- trials --failed ----------------------------------------------------------------------------
def test_failed_lists_only_failures_with_where_they_failed(work: Path) -> None:
    invoke("run", "obj.py:flaky", "--trials", "4", "--seed", "0")
    where = f'obj.py", line {failing_line()}, in flaky'
    rows = as_json("trials", "obj-flaky", "--failed")
    assert [r["number"] for r in rows] == [1, 3]
    for r in rows:
        assert r["state"] == "FAIL" and r["error"] == "KeyError: 'y'" and r["lost"] is False
        assert where in r["traceback"] and r["traceback"].rstrip().endswith("KeyError: 'y'")
    csv_text = invoke("trials", "obj-flaky", "--failed", "--format", "csv").stdout
    csv_rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["number"], r["lost"]) for r in csv_rows] == [("1", "False"), ("3", "False")]
    assert [r["traceback"] for r in csv_rows] == [r["traceback"] for r in rows]

    text = invoke("trials", "obj-flaky", "--failed").stdout
    heads = [line for line in text.splitlines() if line.startswith("Trial ")]
    assert [h.split()[1] for h in heads] == ["1", "3"]
    assert all(h.endswith(": KeyError: 'y'") for h in heads)
    assert text.count(where) == 2 and text.count('return settings["y"]') == 2
    assert "2 of the 4 trials of 'obj-flaky' failed." in text
    assert len(as_json("trials", "obj-flaky")) == 4  # without --failed: every trial


def test_failed_with_no_failure(work: Path) -> None:
    invoke("run", "obj.py", "--trials", "2")
    assert as_json("trials", "obj-objective", "--failed") == []
    assert (
        "No trial of 'obj-objective' failed (2 trials)"
        in invoke("trials", "obj-objective", "--failed").stdout
    )


def test_a_trial_lost_with_its_process_shows_its_error_and_its_rerun(work: Path) -> None:
    (work / "kill-me").touch()
    killed = tunesmith_cmd("run", "obj.py:killed", "--trials", "1", cwd=work)
    assert killed.returncode == -9, killed.stderr  # SIGKILL: the trial stays RUNNING
    invoke("run", "obj.py:killed", "--trials", "1")  # finds its owner gone, runs it again
    rows = as_json("trials", "obj-killed", "--failed")
    assert [r["number"] for r in rows] == [0]
    assert rows[0]["lost"] is True and rows[0]["traceback"] is None
    assert rows[0]["error"].startswith("Lost: ") and "killed" in rows[0]["error"]
    text = invoke("trials", "obj-killed", "--failed").stdout
    assert "Trial 0 " in text and "failed by the machine" in text and rows[0]["error"] in text

    shown = invoke("show", "obj-killed", "0").stdout
    assert "  lost         failed by the machine" in shown
    assert f"  error        {rows[0]['error']}" in shown and "traceback" not in shown
    rerun = as_json("show", "obj-killed", "1")
    assert rerun["state"] == "COMPLETE" and rerun["retry_of"] == 0 and rerun["lost"] is False
    assert rerun["params"] == as_json("show", "obj-killed", "0")["params"]
    assert "  re-run of    trial 0" in invoke("show", "obj-killed", "1").stdout


# -- show -----------------------------------------------------------------------------------------
def test_show_one_trial_in_full(work: Path) -> None:
    invoke("run", "obj.py", "--trials", "3", "--seed", "0")
    for number in range(3):
        t = as_json("show", "obj-objective", str(number))
        x = t["params"]["x"]
        assert t["study"] == "obj-objective" and t["number"] == number
        assert t["state"] == "COMPLETE" and t["value"] == t["values"][0] == pytest.approx(x)
        steps = {str(step): pytest.approx((3 - step) * x) for step in range(3)}
        assert t["intermediate"] == steps
        assert t["user_attrs"] == {"note": "fine"}
        assert t["duration"] == pytest.approx(t["finished"] - t["started"]) and t["duration"] >= 0
        assert t["error"] is None and t["traceback"] is None
        assert (t["retry_of"], t["interrupted"], t["lost"]) == (None, 0, False)
    text = invoke("show", "obj-objective", "2").stdout
    lines = dict(line.strip().split(None, 1) for line in text.splitlines()[1:])
    assert text.splitlines()[0] == "Trial 2 of study 'obj-objective'"
    assert lines["state"] == "COMPLETE" and lines["params"] == f"x={x:.6g}"
    assert lines["value"] == f"{x:.6g} (minimize)"
    assert lines["intermediate"] == f"0: {3 * x:.6g}, 1: {2 * x:.6g}, 2: {x:.6g}"
    assert text.count("note=fine") == 1
    assert {"started", "finished", "duration"} <= set(lines)
    assert not {"error", "traceback", "lost", "interrupted", "re-run"} & set(lines)


def test_show_a_failed_trial_with_its_traceback(work: Path) -> None:
    invoke("run", "obj.py:flaky", "--trials", "2")
    detail = as_json("show", "obj-flaky", "1")
    assert detail["state"] == "FAIL" and detail["value"] is None and detail["values"] is None
    assert detail["error"] == "KeyError: 'y'"
    text = invoke("show", "obj-flaky", "1").stdout
    assert "  error        KeyError: 'y'" in text
    tail = text.split("\n  traceback\n", 1)[1]
    assert f'obj.py", line {failing_line()}, in flaky' in tail
    assert tail.splitlines() == ["    " + line for line in detail["traceback"].splitlines()]


def test_show_a_trial_put_back_by_ctrl_c(work: Path) -> None:
    (work / "interrupt-me").touch()
    invoke("run", "obj.py:interrupted", "--trials", "1", code=130)
    invoke("run", "obj.py:interrupted", "--trials", "1")
    detail = as_json("show", "obj-interrupted", "0")
    assert detail["state"] == "COMPLETE" and detail["interrupted"] == 1
    assert (
        "  interrupted  put back by Ctrl-C 1 time(s)"
        in invoke("show", "obj-interrupted", "0").stdout
    )


def test_show_a_missing_trial_names_what_exists(work: Path) -> None:
    invoke("run", "obj.py", "--trials", "4")
    result = CliRunner().invoke(cli, ["show", "obj-objective", "7"])
    one_line_error(
        result, "Study 'obj-objective' has no trial 7: its 4 trials are numbered 0 to 3."
    )
    ts.create_study(name="empty", storage=URL)
    one_line_error(CliRunner().invoke(cli, ["show", "empty", "0"]), "it has no trial yet")
    one_line_error(CliRunner().invoke(cli, ["show", "nobody", "0"]), "Studies there: ")
    one_line_error(CliRunner().invoke(cli, ["show", "empty", "x"]), "TRIAL_NUMBER")


# -- delete ---------------------------------------------------------------------------------------
def stored_trial_rows() -> int:
    with sqlite3.connect("tunesmith.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM tunesmith_trials").fetchone()[0]


def test_delete_asks_then_removes_the_study_and_its_trials(work: Path) -> None:
    invoke("run", "obj.py", "--trials", "3", "--name", "a")
    invoke("run", "obj.py", "--trials", "2", "--name", "b")
    kept = invoke("delete", "a", code=1, stdin="n\n")
    assert "Delete study 'a' and its 3 trials from sqlite:///tunesmith.db?" in kept.stderr
    assert "Nothing deleted." in kept.stderr and stored_trial_rows() == 5
    done = invoke("delete", "a", stdin="y\n")
    assert "Deleted study 'a' and its 3 trials" in done.stdout
    assert [s["name"] for s in as_json("studies")] == ["b"] and stored_trial_rows() == 2
    with pytest.raises(StudyNotFoundError):
        ts.load_study("a", storage=URL)
    assert len(ts.load_study("b", storage=URL).trials) == 2

    quiet = invoke("delete", "b", "--yes")
    assert "Delete study" not in quiet.output and "Deleted study 'b'" in quiet.stdout
    assert as_json("studies") == [] and stored_trial_rows() == 0


def test_delete_refuses_what_is_not_there(work: Path) -> None:
    missing = CliRunner().invoke(cli, ["delete", "a", "--yes"])
    one_line_error(missing, "No tunesmith database")
    assert not (work / "tunesmith.db").exists()  # never created by delete
    invoke("run", "obj.py", "--trials", "1", "--name", "a")
    invoke("run", "obj.py", "--trials", "1", "--name", "b")
    nobody = CliRunner().invoke(cli, ["delete", "nobody", "--yes"])
    one_line_error(
        nobody, "No study named 'nobody' in sqlite:///tunesmith.db. Studies there: a, b."
    )
    assert stored_trial_rows() == 2


# -- studies ------------------------------------------------------------------------------------
def test_studies_shows_the_stored_strategy(work: Path) -> None:
    ts.create_study(name="g", storage=URL, strategy="genetic", space={"x": ts.Float(0.0, 1.0)})
    invoke("run", "obj.py", "--name", "g", "--trials", "2")  # resumed: no --strategy given
    invoke("run", "obj.py", "--name", "t", "--trials", "2", "--strategy", "tpe")
    listed = {s["name"]: s["strategy"] for s in as_json("studies")}
    assert listed == {"g": "genetic", "t": "tpe"}
    assert all(ts.load_study(n, storage=URL).strategy.name == s for n, s in listed.items())
    assert "genetic" in invoke("studies").stdout


# -- storages no command can use ----------------------------------------------------------------
COMMANDS = [
    ["run", "obj.py", "--trials", "1"],
    ["compare", "obj.py", "--budget", "2", "--seeds", "1"],
    ["studies"],
    ["trials", "s"],
    ["trials", "s", "--failed"],
    ["best", "s"],
    ["show", "s", "0"],
    ["delete", "s", "--yes"],
]


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"]
)
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_in_memory_storage_is_refused(work: Path, args: list[str], url: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--storage", url])
    one_line_error(result, "The --storage option must name a database file such as")
    assert "'sqlite:///PATH.db'" in result.stderr and "in-memory" in result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["obj.py"]


def damage(statement: str) -> None:
    with sqlite3.connect("tunesmith.db") as conn:
        conn.execute(statement)


READERS = COMMANDS[2:]  # the commands that read a study


@pytest.mark.parametrize(
    "statement, needle",
    [
        ("DROP TABLE tunesmith_trials", "tunesmith_trials"),
        ("UPDATE tunesmith_trials SET params = '{bad' WHERE number = 1", "params"),
        ("UPDATE tunesmith_trials SET state = 'LOST' WHERE number = 1", "state"),
        ("UPDATE tunesmith_studies SET attrs = '{bad'", "sqlite:///tunesmith.db"),
    ],
)
def test_a_damaged_database_ends_every_reader_in_one_line(
    work: Path, statement: str, needle: str
) -> None:
    invoke("run", "obj.py", "--trials", "3", "--name", "s")
    damage(statement)
    for args in READERS:
        one_line_error(CliRunner().invoke(cli, args), needle)
