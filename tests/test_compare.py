"""compare: the measured table from hand-made histories, resuming, reopening, the CLI, peers."""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import tunesmith as ts
from tunesmith import compare
from tunesmith.cli import cli
from tunesmith.compare import Comparison, Evaluation, RunRecord
from tunesmith.storage import InMemoryStorage
from tunesmith.strategies import STRATEGY_NAMES

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"x": ts.Float(0.0, 1.0)}


def _run(technique: str, seed: int, values: list, xs: list[float] | None = None) -> RunRecord:
    """A run whose every evaluation took 10 ms inside the objective and 15 ms in all."""
    xs = xs or [i / 10 for i in range(len(values))]
    evals = [Evaluation(v, 0.010, {"x": x}, 0.015) for v, x in zip(values, xs)]
    return RunRecord(technique, seed, evals, wall=0.015 * len(values))


def _hand_made(direction: str = "minimize") -> Comparison:
    sign = -1.0 if direction == "maximize" else 1.0

    def flip(values: list) -> list:
        return [None if v is None else sign * v for v in values]

    clustered = [0.5, 0.51, 0.52, 0.49, 0.5]  # four evaluations around the run's best
    records = [
        _run("a", 0, flip([10, 6, 2, 0.5, 0.2])),
        _run("a", 1, flip([10, 9, 8, 7, 6]), clustered),
        _run("a", 2, flip([12, 4, 0.05, 0.05, 0.05])),
        _run("b", 0, flip([8, 0, 0, 0, 0])),
        _run("b", 1, flip([10, 1, 0.1, 0.1, 0.1])),
        _run("b", 2, flip([10, None, 5, 5, 5]), [0.1, 0.9, 0.3, 0.7, 0.5]),
    ]
    # b's framework work is four times a's: 20 ms per evaluation against 5 ms.
    for r in records[3:]:
        r.wall = 0.030 * len(r.evaluations)
    return Comparison("hand", direction, dict(SPACE), 5, [0, 1, 2], ["a", "b"], records)


def test_summary_from_hand_made_histories() -> None:
    summary = compare.summarize(_hand_made())
    ref = summary.reference
    # best anyone found 0, worst any evaluation gave 12: 1% = 0.12, 5% = 0.6.
    assert (ref.best, ref.worst, ref.scale, ref.basis) == (0.0, 12.0, 12.0, "range")
    a, b = summary.row("a"), summary.row("b")
    assert (a.to_near, a.reached_near, a.to_far, a.reached_far) == (None, 1, 4.0, 2)
    assert (b.to_near, b.reached_near, b.to_far, b.reached_far) == (3.0, 2, 3.0, 2)
    assert (a.best, a.q1, a.q3, a.low, a.high) == pytest.approx((0.2, 0.125, 3.1, 0.05, 6))
    assert (b.best, b.q1, b.q3, b.low, b.high) == pytest.approx((0.1, 0.05, 2.55, 0.0, 5.0))
    assert (a.far, a.settled, b.far, b.settled) == (1, 1, 1, 0)
    assert a.overhead_ms == pytest.approx(5.0) and b.overhead_ms == pytest.approx(20.0)
    assert a.wall == pytest.approx(0.075) and a.objective == pytest.approx(0.05)
    assert a.reading == (
        "median value 0.2, tied for the best with b (within noise); came within 1% of the best "
        "in only 1/3 seeds; ended far "
        "from the best in 1/3 seeds (local optima: the run settled around its own best); "
        "overhead 5 ms per evaluation (lowest)"
    )
    assert b.reading == (
        "median value 0.1, tied for the best with a (within noise); reached 1% of the best in 3 "
        "evaluations (2/3 seeds); ended "
        "far from the best in 1/3 seeds (none settled: still spread out); overhead 20 ms per "
        "evaluation (highest)"
    )


def test_summary_of_a_maximized_objective_mirrors_the_minimized_one() -> None:
    summary = compare.summarize(_hand_made("maximize"))
    a, b = summary.row("a"), summary.row("b")
    assert summary.reference.best == 0.0 and summary.reference.worst == 12.0
    assert (a.to_far, a.far, b.to_near) == (4.0, 1, 3.0)
    assert (a.best, a.low, a.high) == pytest.approx((-0.2, -6, -0.05))
    assert b.reading.startswith("median value -0.1, tied for the best with a (within noise); r")


def test_fastest_and_exhausted_readings() -> None:
    records = [
        _run("quick", 0, [5, 1, 0, 0]),
        _run("slow", 0, [5, 4, 3, 0]),
        _run("short", 0, [5, 4]),  # stopped after two of four evaluations
    ]
    comp = Comparison("r", "minimize", dict(SPACE), 4, [0], ["quick", "slow", "short"], records)
    summary = compare.summarize(comp)
    # One seed each: no difference can be told from the noise, so all are tied.
    quick = summary.row("quick").reading
    assert "reached 1% of the best in 3 evaluations (tied for fastest with slow, short)" in quick
    assert "reached 1% of the best in 4 evaluations;" in summary.row("slow").reading
    short = summary.row("short").reading
    assert short.startswith("median value 4, tied for the best with quick, slow (within noise)")
    assert "used 2 of 4 evaluations (nothing left to propose)" in short


def test_within_uses_best_magnitude_when_every_run_starts_at_the_best() -> None:
    comp = Comparison("z", "minimize", dict(SPACE), 2, [0], ["a"], [_run("a", 0, [-4, -4])])
    ref = compare.summarize(comp).reference
    assert (ref.basis, ref.scale, ref.target(0.01)) == ("|best|", 4.0, -3.96)


@pytest.mark.parametrize(
    ("space", "budget", "points"),
    [
        ({"x": ts.Float(0, 1), "y": ts.Float(0, 1)}, 100, 10),
        ({"x": ts.Float(0, 1), "y": ts.Float(0, 1)}, 99, 9),
        ({"x": ts.Float(0, 1), "k": ts.Choice(["a", "b", "c"])}, 100, 33),
        ({"x": ts.Float(0, 1), "n": ts.Int(1, 5)}, 100, 20),
        ({f"x{i}": ts.Float(0, 1) for i in range(10)}, 100, 1),
        ({"n": ts.Int(1, 5), "k": ts.Choice(["a", "b"])}, 100, 5),
    ],
)
def test_grid_is_the_largest_that_fits_the_budget(space: dict, budget: int, points: int) -> None:
    m = compare.grid_points_for_budget(space, budget)
    assert m == points
    assert compare.grid_size(space, m) <= budget


def _counting(space: dict) -> tuple:
    calls: list[dict] = []

    def objective(trial: ts.Trial) -> float:
        calls.append(dict(trial.params))
        return (trial.params["x"] - 0.3) ** 2 + (trial.params["y"] + 0.2) ** 2

    return objective, calls


SPACE2 = {"x": ts.Float(-1.0, 1.0), "y": ts.Float(-1.0, 1.0)}


def test_resuming_a_half_finished_comparison_runs_only_the_missing_trials(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'c.db'}"
    objective, calls = _counting(SPACE2)
    kwargs = {"seeds": 2, "storage": storage, "name": "half"}
    first = compare.run(objective, SPACE2, strategies=["random", "genetic"], budget=6, **kwargs)
    assert len(calls) == 2 * 2 * 6
    # Grow the budget and add a technique: 4 more trials per old run, 10 per new one.
    second = compare.run(
        objective, SPACE2, strategies=["random", "genetic", "grid"], budget=10, **kwargs
    )
    assert len(calls) == 24 + 2 * 2 * 4 + 2 * 9  # the grid that fits 10 is 3 x 3
    assert [len(r.evaluations) for r in second.records] == [10, 10, 10, 10, 9, 9]
    for old, new in zip(first.records, second.records):
        assert [e.params for e in new.evaluations[:6]] == [e.params for e in old.evaluations]
        assert new.wall >= old.wall
    n = len(calls)
    again = compare.run(
        objective, SPACE2, strategies=["random", "genetic", "grid"], budget=10, **kwargs
    )
    assert len(calls) == n  # nothing left to run
    assert [r.evaluations for r in again.records] == [r.evaluations for r in second.records]
    reopened = compare.load("half", storage)
    assert reopened.techniques == ["random", "genetic", "grid"]
    assert [len(r.evaluations) for r in reopened.records] == [10, 10, 10, 10, 9, 9]
    ts_study = ts.load_study("half/genetic/seed1", storage)
    assert sum(t.state.finished for t in ts_study.trials) == 10  # the rest of a generation waits


def test_a_comparison_over_another_space_is_refused(tmp_path: Path) -> None:
    storage = InMemoryStorage()
    objective, _ = _counting(SPACE2)
    compare.run(objective, SPACE2, strategies=["random"], budget=2, seeds=1, storage=storage)
    other = {"x": ts.Float(-2.0, 2.0), "y": ts.Float(-1.0, 1.0)}
    with pytest.raises(ValueError, match="another space"):
        compare.run(objective, other, strategies=["random"], budget=2, seeds=1, storage=storage)


class _Sampler:
    """A runner outside tunesmith: uniform draws through ``task.evaluate``."""

    name = "sampler"

    def __init__(self) -> None:
        self.runs = 0

    def run(self, task: compare.Task) -> None:
        import numpy as np

        self.runs += 1
        rng = np.random.default_rng(task.seed)
        for _ in range(task.budget):
            task.evaluate({k: d.from_unit(rng.random()) for k, d in task.space.items()})


class _Missing:
    name = "missing-peer"

    def unavailable(self) -> str:
        return "examplelib is not installed (pip install examplelib)"

    def run(self, task: compare.Task) -> None:  # pragma: no cover - never called
        raise AssertionError


def test_runners_are_recorded_reused_and_skipped_with_their_reason() -> None:
    storage = InMemoryStorage()
    objective, calls = _counting(SPACE2)
    sampler = _Sampler()
    with pytest.warns(UserWarning, match="examplelib is not installed"):
        result = compare.run(
            objective,
            SPACE2,
            strategies=["random", sampler, _Missing()],
            budget=5,
            seeds=2,
            storage=storage,
        )
    assert result.techniques == ["random", "sampler"]
    assert result.skipped == {
        "missing-peer": "examplelib is not installed (pip install examplelib)"
    }
    assert sampler.runs == 2 and len(calls) == 20
    stored = ts.load_study("compare/sampler/seed1", storage, strategy="random")
    assert [t.params for t in stored.trials] == [
        e.params for e in result.runs("sampler")[1].evaluations
    ]
    with pytest.warns(UserWarning):
        compare.run(
            objective,
            SPACE2,
            strategies=["random", sampler, _Missing()],
            budget=5,
            seeds=2,
            storage=storage,
        )
    assert sampler.runs == 2 and len(calls) == 20  # read back, not run again


def test_failed_evaluations_are_recorded_and_searches_go_on() -> None:
    def objective(trial: ts.Trial) -> float:
        return math.nan if trial.params["x"] > 0.5 else trial.params["x"]

    result = compare.run(objective, SPACE2, strategies=["random", _Sampler()], budget=20, seeds=1)
    for record in result.records:
        assert len(record.evaluations) == 20
        assert any(e.value is None for e in record.evaluations)
        assert all(e.value is None or e.value <= 0.5 for e in record.evaluations)


def test_bad_arguments_get_clear_errors() -> None:
    objective, _ = _counting(SPACE2)
    with pytest.raises(ValueError, match="'budget' parameter of compare.run"):
        compare.run(objective, SPACE2, budget=0)
    with pytest.raises(ValueError, match="'space' parameter of compare.run"):
        compare.run(objective, {}, budget=3)
    with pytest.raises(ValueError, match="Unknown strategy 'annealing'"):
        compare.run(objective, SPACE2, strategies=["annealing"], budget=3)
    with pytest.raises(ValueError, match="cannot share an in-memory storage"):
        compare.run(objective, SPACE2, budget=3, n_jobs=2, storage=InMemoryStorage())


def test_report_files_from_a_run(tmp_path: Path) -> None:
    objective, _ = _counting(SPACE2)
    result = compare.run(objective, SPACE2, strategies=["grid", "random"], budget=9, seeds=2)
    paths = result.report(tmp_path / "rep", contours=True)
    assert {p.name for p in paths.images.values()} == {
        "convergence.png",
        "final_values.png",
        "points.png",
    }
    md = paths.markdown.read_text()
    assert "| grid | 2 |" in md and "grid of 9 points (3 per float)" in md


QUAD = """
import math
import tunesmith as ts

space = {"x": ts.Float(-2.0, 2.0), "y": ts.Float(-2.0, 2.0)}
direction = "minimize"


def objective(trial):
    return (trial.params["x"] - 0.5) ** 2 + math.sin(3 * trial.params["y"]) ** 2
"""


def test_cli_compare_writes_the_report(tmp_path: Path) -> None:
    target = tmp_path / "quad.py"
    target.write_text(textwrap.dedent(QUAD))
    out = tmp_path / "report"
    db = f"sqlite:///{tmp_path / 'cmp.db'}"
    args = ["compare", str(target), "--strategies", "grid,random,genetic", "--budget", "12"]
    args += ["--seeds", "2", "--report", str(out), "--storage", db, "--no-contours"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "genetic" in result.output and "evals" in result.output
    for name in ("report.md", "report.html", "convergence.png", "final_values.png", "points.png"):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text()
    assert "<table>" in page and "<th>evals to 1%</th>" in page
    assert "<td>genetic</td>" in page and "data:image/png;base64," in page
    studies = CliRunner().invoke(cli, ["studies", "--storage", db, "--format", "csv"])
    assert "compare-quad-objective/genetic/seed1" in studies.output


def test_cli_compare_rejects_an_unknown_strategy(tmp_path: Path) -> None:
    target = tmp_path / "quad.py"
    target.write_text(textwrap.dedent(QUAD))
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(target),
            "--strategies",
            "random,annealing",
            "--storage",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert result.exit_code == 2
    assert "Unknown strategy 'annealing'" in result.output


def _peers():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import peers

    return peers


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("optuna-tpe", "optuna"),
        ("optuna-cmaes", "optuna"),
        ("optuna-nsga2", "optuna"),
        ("optuna-random", "optuna"),
        ("optuna-grid", "optuna"),
        ("hyperopt-tpe", "hyperopt"),
        ("nevergrad-ngopt", "nevergrad"),
    ],
)
def test_black_box_peer_runs_under_the_same_budget(name: str, module: str) -> None:
    pytest.importorskip(module)
    space = {
        "x": ts.Float(-2.0, 2.0),
        "lr": ts.Float(1e-4, 1.0, log=True),
        "n": ts.Int(1, 9),
        "k": ts.Choice(["a", "b"]),
    }

    def objective(trial: ts.Trial) -> float:
        p = trial.params
        return p["x"] ** 2 + abs(math.log10(p["lr"]) + 2) + p["n"] + (p["k"] == "b")

    result = compare.run(objective, space, strategies=[_peers().peer(name)], budget=12, seeds=1)
    (record,) = result.records
    assert 1 <= len(record.evaluations) <= 12
    assert name == "optuna-grid" or len(record.evaluations) == 12
    for e in record.evaluations:
        assert all(dist.contains(e.params[k]) for k, dist in space.items()), e.params


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_sklearn_search_peers_score_the_same_folds(kind: str) -> None:
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.model_selection import KFold
    from sklearn.neighbors import KNeighborsClassifier

    peers = _peers()
    X, y = load_iris(return_X_y=True)
    objective = peers.SklearnObjective(
        KNeighborsClassifier(), X, y, KFold(3, shuffle=True, random_state=0), "accuracy", 1, -1
    )
    space = {"n_neighbors": ts.Int(1, 30), "weights": ts.Choice(["uniform", "distance"])}
    result = compare.run(
        objective, space, strategies=[peers.peer(f"sklearn-{kind}")], budget=8, seeds=1
    )
    (record,) = result.records
    assert len(record.evaluations) == 8
    for e in record.evaluations[:3]:  # the same error rate as the objective computes
        trial = ts.Trial(0, e.params, space, seed=0)
        assert e.value == pytest.approx(objective(trial))


def _bowl(trial: ts.Trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + (trial.params["y"] + 0.2) ** 2


def test_runs_in_processes_match_runs_in_this_process(tmp_path: Path) -> None:
    kwargs = {"strategies": ["random", "genetic"], "budget": 6, "seeds": 2}
    here = compare.run(_bowl, SPACE2, storage=f"sqlite:///{tmp_path / 'a.db'}", **kwargs)
    pool = compare.run(_bowl, SPACE2, storage=f"sqlite:///{tmp_path / 'b.db'}", n_jobs=2, **kwargs)
    assert [(r.technique, r.seed) for r in pool.records] == [
        (r.technique, r.seed) for r in here.records
    ]
    for a, b in zip(here.records, pool.records):
        assert [e.params for e in a.evaluations] == [e.params for e in b.evaluations]
    assert len(compare.load("compare", f"sqlite:///{tmp_path / 'b.db'}").records) == 4


def test_objectives_that_return_gradients_run_under_every_runner() -> None:
    def objective(trial: ts.Trial) -> tuple[float, dict[str, float]]:
        x, y = trial.params["x"], trial.params["y"]
        return x * x + y * y, {"x": 2 * x, "y": 2 * y}

    result = compare.run(objective, SPACE2, strategies=["random", _Sampler()], budget=6, seeds=1)
    for record in result.records:
        assert all(e.value is not None for e in record.evaluations)


def test_every_run_reloads_with_its_own_strategy_and_no_warning(tmp_path: Path) -> None:
    import warnings

    from tunesmith.storage import get_storage
    from tunesmith.strategies import Grid, Random

    storage = f"sqlite:///{tmp_path / 'r.db'}"
    objective, _ = _counting(SPACE2)
    compare.run(
        objective,
        SPACE2,
        strategies=["grid", "tpe", _Sampler()],
        budget=9,
        seeds=1,
        storage=storage,
        name="re",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a strategy that cannot be rebuilt warns
        grid = ts.load_study("re/grid/seed0", storage)
        tpe = ts.load_study("re/tpe/seed0", storage)
        peer = ts.load_study("re/sampler/seed0", storage)
        again = compare.run(
            objective,
            SPACE2,
            strategies=["grid", "tpe", _Sampler()],
            budget=9,
            seeds=1,
            storage=storage,
            name="re",
        )
    assert isinstance(grid.strategy, Grid) and grid.strategy.n_points == 3
    assert tpe.strategy.name == "tpe"
    assert isinstance(peer.strategy, Random)  # its trials were enqueued: random continues it
    info = get_storage(storage).get_study("re/sampler/seed0")
    assert info.settings.strategy_name == "random"
    assert info.settings.extra["compare"] == {
        "comparison": "re",
        "technique": "sampler",
        "budget": 9,
    }
    assert len(peer.trials) == 9 and len(again.runs("sampler")[0].evaluations) == 9


def test_evaluations_fail_by_the_same_rule_as_a_study() -> None:
    from tunesmith.outcome import outcome_of
    from tunesmith.trial import TrialState

    returns = [0.5, True, "0.5", None, math.inf, (0.5, {"x": 1.0}), (0.5, {"x": "steep"}), [0.5]]

    def objective(trial: ts.Trial) -> object:
        return returns[trial.number]

    task = compare.Task(objective, dict(SPACE), "minimize", len(returns), seed=0)
    for i in range(len(returns)):
        task.evaluate({"x": 0.1})
        rule = outcome_of(ts.Trial(i, {"x": 0.1}, dict(SPACE)), returns[i], 1)
        recorded = task.evaluations[-1].value
        assert (recorded is None) == (rule.state is TrialState.FAIL), returns[i]
        assert recorded is None or recorded == rule.values[0]


def test_grid_size_is_the_space_s_own() -> None:
    from tunesmith.space import grid_size

    assert compare.grid_size is grid_size
    space = {"x": ts.Float(0, 1), "n": ts.Int(1, 5), "k": ts.Choice(["a", "b"])}
    assert compare.grid_size(space, 3) == 3 * 3 * 2


def test_the_package_has_one_way_imports() -> None:
    """model is data only; the table, readings and report never import the runs' Comparison."""
    import ast

    folder = ROOT / "src" / "tunesmith" / "compare"
    imported = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported[path.stem] = {
            node.module.rpartition(".")[2] if node.module != "tunesmith.compare" else a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("tunesmith.compare")
            for a in node.names
        }
    assert imported["model"] == imported["noise"] == imported["budget"] == set()
    assert imported["plot_layout"] == set()
    assert imported["stats"] == {"model", "noise"}
    assert imported["readings"] == {"model", "stats"}
    assert imported["plots"] == {"model", "plot_layout", "stats"}
    assert imported["report"] == {"budget", "model", "noise", "stats", "readings", "plots"}


def test_a_peer_run_stored_by_an_older_version_is_extended_without_a_warning() -> None:
    import warnings

    from tunesmith.space import space_to_json

    storage = InMemoryStorage()
    old = {
        "space": space_to_json(SPACE2),
        "strategy": {"name": "peer:sampler", "config": {}},  # not rebuildable
        "seed": 0,
        "compare": {"comparison": "old", "technique": "sampler", "budget": 2},
    }
    storage.create_study("old/sampler/seed0", ["minimize"], old)
    objective, _ = _counting(SPACE2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare.run(
            objective,
            SPACE2,
            strategies=[_Sampler()],
            budget=3,
            seeds=1,
            storage=storage,
            name="old",
        )
    assert len(result.records[0].evaluations) == 3
    assert len(ts.load_study("old/sampler/seed0", storage, strategy="random").trials) == 3


def test_compare_help_names_every_strategy_the_cli_accepts():
    result = CliRunner().invoke(cli, ["compare", "--help"], terminal_width=400)
    assert result.exit_code == 0
    strategies_line = next(line for line in result.output.splitlines() if "--strategies" in line)
    listed = strategies_line.split("(", 1)[1].split(")", 1)[0]
    assert [name.strip() for name in listed.split(",")] == list(STRATEGY_NAMES)
