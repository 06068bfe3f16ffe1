"""End-to-end tests of the ``tunesmith`` command line, each in its own temporary directory."""

from __future__ import annotations

import csv
import io
import json
import math
import pickle
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from click.testing import CliRunner

import tunesmith as ts
from tunesmith.cli import cli
from tunesmith.cli.load import FileObjective, parse_target

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

QUAD = """
import tunesmith as ts

space = {"x": ts.Float(-2.0, 2.0), "k": ts.Choice(["a", "b"])}


def objective(trial):
    return (trial.params["x"] - 0.5) ** 2 + (0.0 if trial.params["k"] == "a" else 1.0)


def by_run(trial):
    return trial.suggest_float("y", 0.0, 1.0) + trial.suggest_int("n", 1, 3)


def broken(trial):
    raise RuntimeError("no luck")


def interrupted(trial):
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit("the __main__ block must not run under tunesmith run")
"""


def quad(params: dict) -> float:
    return (params["x"] - 0.5) ** 2 + (0.0 if params["k"] == "a" else 1.0)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory holding ``quad.py``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # run puts the file's folder on sys.path
    (tmp_path / "quad.py").write_text(QUAD)
    return tmp_path


def invoke(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def trials_json(study: str, *extra: str) -> list[dict]:
    return json.loads(invoke("trials", study, "--format", "json", *extra).stdout)


# -- run, resume, read --------------------------------------------------------------------------
def test_run_uses_default_sqlite_and_records_every_trial(work: Path) -> None:
    out = invoke("run", "quad.py", "--trials", "6", "--seed", "0").stdout
    assert (work / "tunesmith.db").is_file()
    assert "Best trial of 'quad-objective'" in out and "6 COMPLETE" in out
    rows = trials_json("quad-objective")
    assert [r["number"] for r in rows] == list(range(6))
    assert {r["state"] for r in rows} == {"COMPLETE"}
    for r in rows:
        assert r["value"] == pytest.approx(quad({"x": r["params_x"], "k": r["params_k"]}))
        assert -2.0 <= r["params_x"] <= 2.0 and r["params_k"] in ("a", "b")
    stored = ts.load_study("quad-objective", storage="sqlite:///tunesmith.db")
    assert len(stored.trials) == 6 and stored.direction == "minimize"
    assert stored.strategy.name == "random" and stored.seed == 0


def test_rerun_resumes_the_same_study(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "4", "--seed", "1")
    invoke("run", "quad.py", "--trials", "3")
    result = invoke("run", "quad.py", "--trials", "2", "--seed", "9")
    assert "keeps its seed 1" in result.stderr  # --seed applies to new studies only
    rows = trials_json("quad-objective")
    assert [r["number"] for r in rows] == list(range(9))
    listed = json.loads(invoke("studies", "--format", "json").stdout)
    assert len(listed) == 1
    assert listed[0]["name"] == "quad-objective" and listed[0]["trials"] == 9
    assert listed[0]["complete"] == 9 and listed[0]["directions"] == ["minimize"]
    assert listed[0]["best_value"] == pytest.approx(min(r["value"] for r in rows))


def test_studies_trials_and_best_outputs(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "5", "--seed", "2", "--name", "q")
    invoke("run", "quad.py:by_run", "--trials", "3", "--strategy", "random", "--seed", "2")

    studies = list(csv.DictReader(io.StringIO(invoke("studies", "--format", "csv").stdout)))
    assert [(s["name"], s["trials"], s["strategy"]) for s in studies] == [
        ("q", "5", "random"),
        ("quad-by_run", "3", "random"),
    ]
    table = invoke("studies").stdout
    assert "q" in table and "quad-by_run" in table

    rows = list(csv.DictReader(io.StringIO(invoke("trials", "q", "--format", "csv").stdout)))
    assert len(rows) == 5 and {"number", "state", "value", "params_x", "params_k"} <= set(rows[0])
    values = [float(r["value"]) for r in rows]
    for r, v in zip(rows, values):
        assert v == pytest.approx(quad({"x": float(r["params_x"]), "k": r["params_k"]}))

    best = json.loads(invoke("best", "q", "--format", "json").stdout)
    i = min(range(5), key=values.__getitem__)
    assert best["study"] == "q" and best["directions"] == ["minimize"]
    assert best["number"] == i and best["value"] == pytest.approx(values[i])
    assert best["params"]["x"] == pytest.approx(float(rows[i]["params_x"]))
    assert f"{values[i]:.6g}" in invoke("best", "q").stdout
    assert "COMPLETE" in invoke("trials", "q").stdout

    by_run = trials_json("quad-by_run")
    for r in by_run:  # define-by-run parameters land in the rows too
        assert r["value"] == pytest.approx(r["params_y"] + r["params_n"])


def test_direction_from_the_file_and_from_the_flag(work: Path) -> None:
    (work / "up.py").write_text(QUAD + '\ndirection = "maximize"\n')
    invoke("run", "up.py", "--trials", "5", "--seed", "3")
    rows = trials_json("up-objective")
    best = json.loads(invoke("best", "up-objective", "--format", "json").stdout)
    assert best["directions"] == ["maximize"]
    assert best["value"] == pytest.approx(max(r["value"] for r in rows))
    invoke("run", "up.py", "--trials", "2", "--direction", "minimize", "--name", "down")
    assert json.loads(invoke("best", "down", "--format", "json").stdout)["directions"] == [
        "minimize"
    ]


def test_multi_objective_best_is_the_pareto_front(work: Path) -> None:
    (work / "two.py").write_text(
        textwrap.dedent("""
        import tunesmith as ts
        space = {"x": ts.Float(0.0, 1.0)}
        directions = ["minimize", "minimize"]
        def objective(trial):
            x = trial.params["x"]
            return x, (1 - x) ** 2 + 0.1 * (x > 0.5)
    """)
    )
    invoke("run", "two.py", "--trials", "12", "--seed", "4")
    rows = trials_json("two-objective")
    points = [(r["number"], r["values_0"], r["values_1"]) for r in rows]
    front = {
        n
        for n, a, b in points
        if not any(a2 <= a and b2 <= b and (a2, b2) != (a, b) for _, a2, b2 in points)
    }
    best = json.loads(invoke("best", "two-objective", "--format", "json").stdout)
    assert best["directions"] == ["minimize", "minimize"]
    assert {t["number"] for t in best["best_trials"]} == front
    assert "Pareto front" in invoke("best", "two-objective").stdout


def test_failures_are_counted_and_interrupts_keep_what_ran(work: Path) -> None:
    result = invoke("run", "quad.py:broken", "--trials", "3", code=1)  # all failed: not 0
    assert "3 FAIL" in result.stdout and "RuntimeError: no luck" in result.stdout
    assert "all 3 trials of this run failed" in result.stderr
    failed = trials_json("quad-broken")
    assert [r["error"] for r in failed] == ["RuntimeError: no luck"] * 3
    result = invoke("run", "quad.py:interrupted", "--trials", "5", code=130)
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Interrupted: 0 trials finished")
    assert "1 unfinished trial was put back" in result.stderr
    # put back, not failed: the next run evaluates it first
    assert [r["state"] for r in trials_json("quad-interrupted")] == ["WAITING"]


def test_jobs_with_threads(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "8", "--jobs", "3", "--executor", "thread")
    rows = trials_json("quad-objective")
    assert len(rows) == 8 and {r["state"] for r in rows} == {"COMPLETE"}


def test_the_file_can_import_its_neighbours(work: Path) -> None:
    sub = work / "proj"
    sub.mkdir()
    (sub / "helper_for_cli_test.py").write_text("def score(x):\n    return 2 * x\n")
    (sub / "proj_main.py").write_text(
        textwrap.dedent("""
        import tunesmith as ts
        from helper_for_cli_test import score
        space = {"x": ts.Float(0.0, 1.0)}
        def objective(trial):
            return score(trial.params["x"])
    """)
    )
    invoke("run", "proj/proj_main.py", "--trials", "2")
    rows = trials_json("proj_main-objective")
    assert len(rows) == 2 and all(r["value"] == pytest.approx(2 * r["params_x"]) for r in rows)


# -- errors: one line on stderr, exit code 2 ----------------------------------------------------
BAD_FILES = {
    "bad_space.py": 'space = {"x": 3}\ndef objective(trial):\n    return 0.0\n',
    "bad_direction.py": 'direction = "up"\ndef objective(trial):\n    return 0.0\n',
    "raises.py": "import json\njson.loads('{')\n",
    "syntax.py": "def objective(trial)\n    return 0\n",
    "not_callable.py": "objective = 3\n",
}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "missing.py"], "does not exist"),
        (["run", "quad.py:nothing"], "no function 'nothing'"),
        (["run", "not_callable.py"], "must be a function"),
        (["run", "quad.py", "--strategy", "bogus"], "'--strategy'"),
        (["run", "quad.py", "--trials", "0"], "'--trials'"),
        (["run", "quad.py", "--trials", "many"], "'--trials'"),
        (["run", "quad.py", "--jobs", "0"], "'--jobs'"),
        (["run", "quad.py", "--timeout", "0"], "'--timeout'"),
        (["run", "quad.py", "--batch-size", "0"], "'--batch-size'"),
        (["run", "quad.py", "--seed", "-1"], "'--seed'"),
        (["run", "quad.py", "--name", ""], "'--name'"),
        (["run", "quad.py", "--direction", "up"], "'--direction'"),
        (["run", "quad.py", "--executor", "ray"], "'--executor'"),
        (["run", "quad.py", "--batch-size", "2", "--jobs", "2"], "--batch-size"),
        (["run", "quad.py", "--storage", "mysql://x"], "--storage"),
        (["run", "quad.py", "--storage", "sqlite:/nonsense"], "--storage"),
        (["run", "quad.py", "--storage", "sqlite:////no/such/dir/x.db"], "cannot be opened"),
        (["run", "bad_space.py"], "'space'"),
        (["run", "bad_direction.py"], "'direction'"),
        (["run", "raises.py"], "JSONDecodeError"),
        (["run", "syntax.py"], "SyntaxError while loading (line 1)"),
        (["run"], "Missing argument"),
        (["frobnicate"], "No such command"),
        (["trials", "nobody"], "No tunesmith database"),
        (["best", "nobody", "--format", "csv"], "'--format'"),
        (["studies"], "No tunesmith database"),
    ],
)
def test_errors_are_one_line_and_exit_2(work: Path, args: list[str], needle: str) -> None:
    for name, text in BAD_FILES.items():
        (work / name).write_text(text)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert not (work / "tunesmith.db").exists() or args[0] == "run"


def test_study_errors(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "2")
    invoke("run", "quad.py:broken", "--trials", "1", code=1)
    cases = [
        (["trials", "nobody"], "No study named 'nobody'"),
        (["best", "nobody"], "Studies there: quad-objective, quad-broken"),
        (["best", "quad-broken"], "no completed trial"),
        (["run", "quad.py", "--direction", "maximize"], "was created to minimize"),
    ]
    (work / "moved.py").write_text(QUAD.replace("-2.0, 2.0", "-3.0, 3.0"))
    cases.append((["run", "moved.py", "--name", "quad-objective"], "another space"))
    sqlite3.connect(work / "other.db").execute("CREATE TABLE users (id INTEGER)").connection.close()
    for command in (["studies"], ["run", "quad.py"]):
        cases.append((command + ["--storage", "sqlite:///other.db"], "not a tunesmith database"))
    for args, needle in cases:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.stderr, result.exception)
        assert result.stderr.count("\n") == 1 and needle in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert len(trials_json("quad-objective")) == 2  # refused runs added nothing


# -- real processes -----------------------------------------------------------------------------
def tunesmith_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tunesmith.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_subprocess_run_with_process_workers_and_errors(work: Path) -> None:
    done = tunesmith_cmd(
        "run",
        "quad.py",
        "--trials",
        "6",
        "--jobs",
        "2",
        "--executor",
        "process",
        "--seed",
        "5",
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert "6 COMPLETE" in done.stdout and (work / "tunesmith.db").is_file()
    shown = tunesmith_cmd("trials", "quad-objective", "--format", "json", cwd=work)
    rows = json.loads(shown.stdout)
    assert len(rows) == 6 and all(
        r["value"] == pytest.approx(quad({"x": r["params_x"], "k": r["params_k"]})) for r in rows
    )
    bad = tunesmith_cmd("run", "quad.py", "--trials", "0", cwd=work)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    version = tunesmith_cmd("--version", cwd=work)
    assert version.returncode == 0 and version.stdout.strip() == f"tunesmith {ts.__version__}"


def test_file_objective_works_in_spawned_workers(work: Path) -> None:
    objective = FileObjective(parse_target("quad.py"))
    clone = pickle.loads(pickle.dumps(objective))
    trial = ts.create_study(space={"x": ts.Float(0.0, 1.0), "k": ts.Choice(["a"])}).ask()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        value = pool.submit(clone, trial).result(timeout=60)
    assert value == pytest.approx(quad(trial.params))


# -- the examples -------------------------------------------------------------------------------
def test_svc_digits_example(work: Path) -> None:
    pytest.importorskip("sklearn")
    invoke("run", str(EXAMPLES / "svc_digits.py"), "--trials", "3", "--seed", "0")
    rows = trials_json("svc_digits-objective")
    assert len(rows) == 3 and {r["state"] for r in rows} == {"COMPLETE"}
    assert all(0.05 < r["value"] <= 1.0 for r in rows)
    assert {r["params_kernel"] for r in rows} <= {"rbf", "linear"}
    best = json.loads(invoke("best", "svc_digits-objective", "--format", "json").stdout)
    assert best["directions"] == ["maximize"]
    assert best["value"] == pytest.approx(max(r["value"] for r in rows))


def rastrigin(x: list[float]) -> float:
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


@pytest.mark.parametrize("strategy", ["random", "genetic"])
def test_rastrigin_example(work: Path, strategy: str) -> None:
    invoke(
        "run",
        str(EXAMPLES / "rastrigin.py"),
        "--strategy",
        strategy,
        "--trials",
        "40",
        "--seed",
        "0",
    )
    rows = [r for r in trials_json("rastrigin-objective") if r["state"] == "COMPLETE"]
    assert len(rows) == 40
    for r in rows:
        x = [r[f"params_x{i}"] for i in range(10)]
        assert all(-5.12 <= v <= 5.12 for v in x)
        assert r["value"] == pytest.approx(rastrigin(x)) and r["value"] >= 0
    best = json.loads(invoke("best", "rastrigin-objective", "--format", "json").stdout)
    assert best["value"] == pytest.approx(min(r["value"] for r in rows))


# -- run and compare share the loader, the storage option and the error path -------------------
def test_run_and_compare_share_the_storage_option(work: Path) -> None:
    from tunesmith.cli.common import DEFAULT_STORAGE

    options = {
        name: next(p for p in cli.commands[name].params if p.name == "storage")
        for name in ("run", "compare", "studies", "trials", "best")
    }
    assert {(o.default, o.help, o.metavar) for o in options.values()} == {
        (DEFAULT_STORAGE, options["run"].help, "URL")
    }
    invoke("compare", "quad.py", "--strategies", "random", "--budget", "3", "--seeds", "1")
    assert (work / "tunesmith.db").is_file()  # the same default file as ``tunesmith run``
    invoke("run", "quad.py", "--trials", "2")
    listed = {r["name"] for r in json.loads(invoke("studies", "--format", "json").stdout)}
    assert listed == {"compare-quad-objective/random/seed0", "quad-objective"}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["missing.py"], "does not exist"),
        (["quad.py:nothing"], "no function 'nothing'"),
        (["not_callable.py"], "must be a function"),
        (["bad_space.py"], "bad_space.py: The 'space'"),
        (["syntax.py"], "SyntaxError while loading (line 1)"),
        (["quad.py", "--storage", "mysql://x"], "--storage"),
        (["quad.py", "--jobs", "0"], "'--jobs'"),
    ],
)
def test_compare_loads_and_fails_like_run(work: Path, args: list[str], needle: str) -> None:
    for name, text in BAD_FILES.items():
        (work / name).write_text(text)
    ran, compared = (CliRunner().invoke(cli, [command, *args]) for command in ("run", "compare"))
    for result in (ran, compared):
        assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
        assert needle in result.stderr and "Traceback" not in result.output
    assert ran.stderr.replace("'tunesmith run", "'tunesmith compare") == compared.stderr


def test_compare_needs_a_declared_space(work: Path) -> None:
    by_run = "def objective(trial):\n    return trial.suggest_float('x', 0.0, 1.0)\n"
    (work / "by_run.py").write_text(by_run)
    result = invoke("compare", "by_run.py", "--budget", "2", "--seeds", "1", code=2)
    assert "by_run.py has no module-level `space`" in result.stderr
    assert not (work / "tunesmith.db").exists()
