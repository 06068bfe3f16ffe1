"""The quality benchmark's peer runners keep the space, budget and seed; its per-set sign tests."""

from __future__ import annotations

import gzip
import json
import math
import statistics
import sys
from pathlib import Path

import pytest

import tunesmith as ts

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SPACE = {
    "x": ts.Float(-2.0, 2.0),
    "lr": ts.Float(1e-4, 1.0, log=True),
    "n": ts.Int(1, 64, log=True),
    "k": ts.Int(0, 4),
    "c": ts.Choice(["a", "b", "c"]),
}


def objective(p: dict) -> float:
    return p["x"] ** 2 + abs(math.log10(p["lr"]) + 2) + p["n"] / 64 + p["k"] + (p["c"] == "b")


@pytest.fixture(scope="module")
def runners():
    sys.path.insert(0, str(BENCH))
    from peers import quality_runners

    return quality_runners


@pytest.fixture(scope="module")
def quality():
    sys.path.insert(0, str(BENCH))
    import quality

    return quality


@pytest.mark.parametrize("name", ["run_hyperopt", "run_nevergrad"])
def test_runner_keeps_space_budget_and_seed(runners, name: str) -> None:
    run = getattr(runners, name)
    params, values = run(SPACE, objective, 3, 12)
    assert len(params) == len(values) == 12
    assert values == [objective(p) for p in params]
    for p in params:
        assert -2.0 <= p["x"] <= 2.0 and 1e-4 <= p["lr"] <= 1.0
        assert type(p["n"]) is int and 1 <= p["n"] <= 64
        assert type(p["k"]) is int and 0 <= p["k"] <= 4
        assert p["c"] in ("a", "b", "c")
    assert run(SPACE, objective, 3, 12) == (params, values)
    assert run(SPACE, objective, 4, 12)[1] != values


def test_hyperopt_samples_log_parameters_on_a_log_scale(runners) -> None:
    params, _ = runners.run_hyperopt(SPACE, objective, 0, 20)  # 20 = its random start-up
    assert statistics.median(p["lr"] for p in params) < 0.1  # uniform's median is 0.5
    assert statistics.median(p["n"] for p in params) < 20  # uniform's median is 32


def test_nevergrad_starts_at_the_log_centre(runners) -> None:
    params, _ = runners.run_nevergrad(SPACE, objective, 0, 1)
    assert params[0]["lr"] == pytest.approx(1e-2)  # geometric mean of 1e-4 and 1
    assert params[0]["n"] == 8  # geometric mean of 1 and 64
    assert params[0]["x"] == pytest.approx(0.0)


def test_set_rows_count_sign_tests_per_dimension_and_table(quality) -> None:
    quality.use_methods("ts-tpe,optuna-tpe")
    groups = {"f": {"dimension": "d=2"}, "g": {"dimension": "d=5"}, "t": {"table": "HPOLib"}}
    groups["u"] = {"table": "HPOBench"}  # no cells: no row
    cells = {("f", s): {"ts-tpe": 1.0, "optuna-tpe": 2.0} for s in range(6)}
    cells |= {
        ("g", 0): {"ts-tpe": 2.0, "optuna-tpe": 2.0},
        ("g", 1): {"ts-tpe": 3, "optuna-tpe": 2},
    }
    cells |= {("t", s): {"ts-tpe": 0.5, "optuna-tpe": 0.1} for s in range(3)}
    try:
        rows = quality.set_rows(cells, groups)[2:]
    finally:
        quality.use_methods(None)
    assert rows == [
        "| ts-tpe | optuna-tpe | d=2 | 6 | 6 / 0 / 0 | 0.0312 |",
        "| ts-tpe | optuna-tpe | d=5 | 2 | 0 / 1 / 1 | 1 |",
        "| ts-tpe | optuna-tpe | HPOLib | 3 | 0 / 0 / 3 | 0.25 |",
    ]


def test_no_worse_fails_below_p_0_1(quality) -> None:
    # 13 losses in 18 decided cells: p = 0.096, worse by the targets' threshold (p < 0.1)
    quality.use_methods("ts-tpe,optuna-tpe")
    groups = {f"f{i}": {"all": "HPO tables, all"} for i in range(18)}
    cells = {(f"f{i}", 0): {"ts-tpe": float(i < 13), "optuna-tpe": 0.5} for i in range(18)}
    ranks = {k: {"ts-tpe": 1.0 + v["ts-tpe"], "optuna-tpe": 1.5} for k, v in cells.items()}
    try:
        rows = quality.check_rows(cells, ranks, groups)[2:]
    finally:
        quality.use_methods(None)
    assert rows == [
        "| TPE vs Optuna TPE | HPO tables, all | 18 | no worse | 1.72 | 1.50 | 5 / 0 / 13 "
        "| 0.0963 | FAIL | FAIL |"
    ]


def test_bayesmark_problems_evaluate_and_translate_their_space_for_optuna(quality) -> None:
    import _quality_problems as qp

    spec = qp.ProblemSpec("bayesmark", ("svm", "breast_cancer"))
    problem = qp.build(spec)
    dists = problem.optuna_space()
    assert {n: (d.low, d.high, d.log) for n, d in dists.items()} == {
        n: (d.low, d.high, d.log) for n, d in problem.space.items()
    }
    error = problem({"C": 10.0, "gamma": 0.01, "tol": 1e-3})  # an error rate on 150 rows
    assert 0.0 <= error < 0.15 and error == problem({"C": 10.0, "gamma": 0.01, "tol": 1e-3})
    assert math.isnan(problem.f_opt)
    assert qp.group_of(spec) == {"table": "Bayesmark-style", "dataset": "svm/breast_cancer"}


def test_unknown_optimum_is_the_best_any_run_reached(quality) -> None:
    quality.use_methods("ts-tpe,ts-random,optuna-random")
    records = [{"problem": "p", "f_opt": float("nan")}, {"problem": "q", "f_opt": 0.0}]
    cells = {
        ("p", 0): {"ts-tpe": 0.2, "ts-random": 0.4, "optuna-random": 0.6},
        ("p", 1): {"ts-tpe": 0.3, "ts-random": 0.5, "optuna-random": 0.5},
        ("q", 0): {"ts-tpe": 1.0, "ts-random": 2.0, "optuna-random": 4.0},
    }
    try:
        regrets = quality.normalized_regrets(records, cells, 100)
    finally:
        quality.use_methods(None)
    # p: best 0.2, random's median 0.5 -> (0.3 - 0.2) / 0.3; q keeps its known optimum 0
    assert regrets[("p", 1)]["ts-tpe"] == pytest.approx(1 / 3)
    assert regrets[("p", 0)]["ts-tpe"] == 0.0
    assert regrets[("q", 0)]["ts-tpe"] == pytest.approx(1 / 3)


def test_nevergrad_metamodel_runs_under_numpy_2(runners) -> None:
    # At a budget of 300 in 2-D, NGOpt picks a metamodel-assisted optimizer whose surrogate
    # search calls float() on a one-element array: under NumPy 2 that raised after 13 asks.
    space = {"x": ts.Float(-5.0, 5.0), "y": ts.Float(-5.0, 5.0)}

    def sphere(p: dict) -> float:
        return (p["x"] - 1.0) ** 2 + (p["y"] + 2.0) ** 2

    params, values = runners.run_nevergrad(space, sphere, 0, 300)
    assert len(values) == 300
    assert min(values) < 1e-6


def test_seed_per_instance_gives_each_bbob_instance_its_own_seed(quality) -> None:
    argv = ["--no-tables", "--functions", "1", "--dims", "2", "--instances", "1-3", "--seeds", "2"]
    try:
        quality.use_methods("ts-tpe")
        same = quality.build_tasks(quality.parse_args(argv))
        own = quality.build_tasks(quality.parse_args([*argv, "--seed-per-instance"]))
    finally:
        quality.use_methods(None)
    assert [(t[0].key[1], t[1]) for t in same] == [(i, s) for s in (0, 1) for i in (1, 2, 3)]
    assert [(t[0].key[1], t[1]) for t in own] == [
        (1, 0),
        (2, 1000),
        (3, 2000),
        (1, 1),
        (2, 1001),
        (3, 2001),
    ]


def test_a_run_that_covers_a_finite_space_keeps_its_best_at_later_checkpoints(quality) -> None:
    import _quality_problems as qp

    spec = qp.ProblemSpec("bayesmark", ("svm", "breast_cancer"))
    problem = qp.build(spec)
    grid = [{"C": 10.0 ** (k - 4), "gamma": 0.01, "tol": 1e-3} for k in range(12)]
    runs = sorted(((problem(p), p) for p in grid), key=lambda vp: -vp[0])  # the best last
    values, params = [v for v, _ in runs], [p for _, p in runs]  # covered within a budget of 25
    line = quality.record(problem, 0, "ts-grid", 25, (params, values), 0.0)
    assert line["n"] == 12
    assert line["scores"] == {"10": min(values[:10]), "25": min(values)}
    assert min(values) < min(values[:10])  # the checkpoint after the end is the final best
    empty = quality.record(problem, 0, "ts-grid", 25, ([], []), 0.0)
    assert empty["scores"] == {}


def test_report_reads_several_files_gzip_too_and_a_later_record_wins(quality, tmp_path) -> None:
    def line(method: str, score: float) -> str:
        rec = {"problem": "p", "seed": 0, "method": method, "budget": 50, "scores": {"50": score}}
        return json.dumps(rec) + "\n"

    plain = tmp_path / "a.jsonl"
    plain.write_text(line("ts-tpe", 3.0) + line("optuna-tpe", 2.0))
    packed = tmp_path / "b.jsonl.gz"
    with gzip.open(packed, "wt") as f:
        f.write(line("ts-tpe", 1.0))  # the same run again, later: its score is the one kept
    records = quality.read_results(plain, packed)
    assert [r["scores"]["50"] for r in records] == [3.0, 2.0, 1.0]
    quality.use_methods("ts-tpe,optuna-tpe")
    try:
        cells = quality.complete_cells(records, 50)
    finally:
        quality.use_methods(None)
    assert cells == {("p", 0): {"ts-tpe": 1.0, "optuna-tpe": 2.0}}
