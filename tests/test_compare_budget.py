"""compare at small budgets: ties within the seed-to-seed noise, settings fitted to the budget,
a start-independent "within p%", batched objectives, and the first failure's reason."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import tunesmith as ts
from tunesmith import compare
from tunesmith.cli import cli
from tunesmith.compare import Comparison, Evaluation, RunRecord
from tunesmith.compare.noise import rank_test
from tunesmith.compare.readings import failure_part
from tunesmith.storage import InMemoryStorage

LINE = {"x": ts.Float(0.0, 1.0)}
PLANE = {"x": ts.Float(-1.0, 1.0), "y": ts.Float(-1.0, 1.0)}


def _x(trial: ts.Trial) -> float:
    return trial.params["x"]


def _bowl(trial: ts.Trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + (trial.params["y"] + 0.2) ** 2


class _Fixed:
    """A runner that evaluates every parameter at 0.95, then at ``finals[seed]``: on ``_x`` its
    per-seed best is known."""

    def __init__(self, name: str, finals: list[float]):
        self.name, self.finals = name, finals

    def run(self, task: compare.Task) -> None:
        for value in (0.95, self.finals[task.seed]):
            task.evaluate({k: value for k in task.space})


def _two(a: list[float], b: list[float]) -> compare.Summary:
    techniques = [_Fixed("a", a), _Fixed("b", b)]
    return compare.run(_x, LINE, techniques, budget=2, seeds=5, storage=None).summary()


# -- (b) every ranking carries its uncertainty --------------------------------------------------
def test_overlapping_per_seed_results_are_a_tie(tmp_path: Path) -> None:
    a, b = [0.1, 0.3, 0.5, 0.7, 0.9], [0.2, 0.4, 0.6, 0.8, 0.85]
    # a's rank sum 26 against 27.5 expected: 212 of the 252 splits lie as far or farther.
    assert rank_test(a, b) == (pytest.approx(212 / 252), -1)
    summary = _two(a, b)
    ra, rb = summary.row("a"), summary.row("b")
    assert (ra.best, rb.best) == pytest.approx((0.5, 0.6))
    assert ra.reading.startswith("median value 0.5, tied for the best with b (within noise);")
    assert rb.reading.startswith("median value 0.6, tied for the best with a (within noise);")
    for row in (ra, rb):
        assert "worst" not in row.reading and "best median" not in row.reading
    # The table's rank column: each may be first or second.
    result = compare.run(_x, LINE, [_Fixed("a", a), _Fixed("b", b)], budget=2, seeds=5)
    text = result.report(tmp_path / "rep", contours=False).markdown.read_text()
    assert "| a | 5 | 0.5 | 1-2 |" in text and "| b | 5 | 0.6 | 1-2 |" in text
    assert "p < 0.05" in text


def test_separate_per_seed_results_are_a_clear_win() -> None:
    a, b = [0.10, 0.11, 0.12, 0.13, 0.14], [0.50, 0.51, 0.52, 0.53, 0.54]
    assert rank_test(a, b) == (pytest.approx(2 / 252), -1)
    summary = _two(a, b)
    ra, rb = summary.row("a"), summary.row("b")
    assert ra.reading.startswith("best median value (0.12), clearly ahead of every other")
    assert rb.reading.startswith("worst median value (0.52), clearly behind every other")
    assert (ra.value_standing.rank(2), rb.value_standing.rank(2)) == ((1, 1), (2, 2))


def test_three_seeds_cannot_separate_even_disjoint_results() -> None:
    assert rank_test([0.1, 0.2, 0.3], [0.7, 0.8, 0.9]) == (pytest.approx(0.1), -1)
    techniques = [_Fixed("a", [0.1, 0.2, 0.3]), _Fixed("b", [0.7, 0.8, 0.9])]
    summary = compare.run(_x, LINE, techniques, budget=2, seeds=3).summary()
    assert summary.row("b").reading.startswith("median value 0.8, tied for the best with a")


def test_a_middle_technique_is_tied_with_both_ends_of_a_clear_difference() -> None:
    a, b = [0.10, 0.11, 0.12, 0.13, 0.14], [0.50, 0.51, 0.52, 0.53, 0.54]
    c = [0.12, 0.52, 0.13, 0.53, 0.30]
    techniques = [_Fixed("a", a), _Fixed("b", b), _Fixed("c", c)]
    summary = compare.run(_x, LINE, techniques, budget=2, seeds=5).summary()
    assert summary.row("a").reading.startswith(
        "median value 0.12, tied for the best with c (within noise); clearly ahead of b;"
    )
    assert summary.row("b").reading.startswith("median value 0.52, clearly behind a (tied with c)")
    assert summary.row("c").value_standing.rank(3) == (1, 3)


class _Reach:
    """A runner that evaluates 0.9 until evaluation ``when[seed]``, then 0 (the best)."""

    def __init__(self, name: str, when: list[int]):
        self.name, self.when = name, when

    def run(self, task: compare.Task) -> None:
        for i in range(task.budget):
            task.evaluate({"x": 0.0 if i + 1 >= self.when[task.seed] else 0.9})


def test_fastest_and_slowest_are_said_only_of_clear_differences() -> None:
    clear = [_Reach("quick", [2, 2, 2, 2, 2]), _Reach("slow", [5, 5, 5, 5, 6])]
    summary = compare.run(_x, LINE, clear, budget=6, seeds=5).summary()
    quick, slow = summary.row("quick"), summary.row("slow")
    assert quick.reading.startswith("median value 0, tied for the best with slow (within noise)")
    assert "reached 1% of the best in 2 evaluations (fastest)" in quick.reading
    assert "reached 1% of the best in 5 evaluations (slowest)" in slow.reading
    noisy = [_Reach("quick", [2, 2, 3, 4, 5]), _Reach("slow", [2, 3, 4, 5, 5])]
    summary = compare.run(_x, LINE, noisy, budget=6, seeds=5).summary()
    quick, slow = summary.row("quick"), summary.row("slow")
    assert "in 3 evaluations (tied for fastest with slow)" in quick.reading
    assert "reached 1% of the best in 4 evaluations;" in slow.reading


# -- (c) "within p%" does not depend on where the runs started ----------------------------------
def _record(technique: str, seed: int, values: list[float]) -> RunRecord:
    evals = [Evaluation(v, 0.001, {"x": i / 10}, 0.001) for i, v in enumerate(values)]
    return RunRecord(technique, seed, evals, wall=0.001 * len(values))


def test_within_is_measured_on_the_range_of_all_values_not_the_first_ones() -> None:
    def summary(first: float) -> compare.Summary:
        records = [
            _record("a", 0, [first, 9.0, 3.0, 1.0]),
            _record("b", 0, [20.0, 5.0, 0.5, 0.0]),  # 20 the worst, 0 the best of all
        ]
        comp = Comparison("r", "minimize", dict(LINE), 4, [0], ["a", "b"], records)
        return compare.summarize(comp)

    low, high = summary(2.0), summary(15.0)
    for s in (low, high):
        ref = s.reference
        assert (ref.best, ref.worst, ref.scale, ref.basis) == (0.0, 20.0, 20.0, "range")
        assert (ref.target(0.01), ref.target(0.05)) == pytest.approx((0.2, 1.0))
        assert (s.row("a").to_far, s.row("b").to_near, s.row("b").to_far) == (4.0, 4.0, 3.0)


# -- (a) settings fitted to the budget ----------------------------------------------------------
def test_population_and_startup_settings_are_fitted_and_stored(tmp_path: Path) -> None:
    storage = InMemoryStorage()
    result = compare.run(_bowl, PLANE, ["genetic", "cmaes", "tpe"], 20, seeds=1, storage=storage)
    config = {
        t: storage.get_study(f"compare/{t}/seed0").settings.strategy["config"]
        for t in ("genetic", "cmaes", "tpe")
    }
    # 20 // 5 generations = 4 (genetic's default 20, cmaes' 4 + floor(3 ln 2) = 6); tpe 25%.
    assert config["genetic"]["population_size"] == 4
    assert config["cmaes"]["population_size"] == 4
    assert config["tpe"]["n_startup_trials"] == 5
    summary = result.summary()
    assert summary.row("genetic").note == (
        "population 4 (default 20): 5 generations in 20 evaluations"
    )
    assert summary.row("tpe").note == "5 random startup trials (default 10), 15 model-guided"
    assert all(r.caveat == "" and r.made == 20 for r in summary.rows)
    text = result.report(tmp_path / "rep", contours=False).markdown.read_text()
    assert "- **genetic**: population 4 (default 20): 5 generations" in text
    assert "a population of budget // 5" in text


def test_a_budget_too_small_for_a_technique_says_so(tmp_path: Path) -> None:
    result = compare.run(_bowl, PLANE, ["genetic", "tpe", "random"], budget=8, seeds=2)
    summary = result.summary()
    genetic, tpe = summary.row("genetic"), summary.row("tpe")
    assert genetic.caveat == (
        "genetic cannot show itself at this budget: 2 generations of 4 (fewer than 3), so its "
        "search is mostly random"
    )
    assert genetic.caveat in genetic.reading
    assert tpe.caveat == "" and "6 model-guided" in tpe.note
    tiny = compare.run(_bowl, PLANE, ["tpe"], budget=4, seeds=1).summary().row("tpe")
    assert tiny.caveat == (
        "tpe cannot show itself at this budget: 2 model-guided evaluations after 2 random ones "
        "(fewer than 3)"
    )
    md = result.report(tmp_path / "rep", contours=False).markdown.read_text()
    assert f"- **genetic**: {genetic.caveat}" in md


def test_a_strategy_instance_keeps_its_own_settings() -> None:
    storage = InMemoryStorage()
    strategy = ts.strategies.Genetic(population_size=10)
    compare.run(_bowl, PLANE, [strategy], budget=10, seeds=1, storage=storage)
    settings = storage.get_study("compare/genetic/seed0").settings
    assert settings.strategy["config"]["population_size"] == 10


# -- batched objectives and the first failure's reason -----------------------------------------
class _Batched:
    """A batched objective that records the size of every call."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, trials: list[ts.Trial]) -> list[float]:
        values = [_bowl(t) for t in trials]
        self.sizes.append(len(values))
        return values


def test_a_batched_objective_is_compared_end_to_end(tmp_path: Path) -> None:
    objective = _Batched()
    storage = InMemoryStorage()
    techniques = ["random", "genetic", _Fixed("fixed", [0.1, 0.2])]
    result = compare.run(
        objective, PLANE, techniques, budget=12, seeds=2, storage=storage, batch_size=4
    )
    summary = result.summary()
    assert [(r.made, r.failed) for r in summary.rows] == [(24, 0), (24, 0), (4, 0)]
    # random and genetic: 2 seeds x 3 calls of 4 trials; the peer: 4 calls of one trial.
    assert sorted(objective.sizes) == [1] * 4 + [4] * 12
    for run in result.runs("random") + result.runs("genetic"):
        for e in run.evaluations:
            assert e.value == pytest.approx((e.params["x"] - 0.3) ** 2 + (e.params["y"] + 0.2) ** 2)
    reloaded = compare.load("compare", storage).summary()
    assert [r.made for r in reloaded.rows] == [24, 24, 4]
    assert "failed" not in summary.row("random").reading


def test_a_batched_objective_without_batch_size_names_the_first_failure() -> None:
    result = compare.run(_Batched(), PLANE, ["random"], budget=3, seeds=1)
    row = result.summary().row("random")
    assert row.first_error == row.last_error == "TypeError: 'Trial' object is not iterable"
    assert row.reading.startswith(
        "every evaluation failed (3 of 3): TypeError: 'Trial' object is not iterable (last error)"
    )


def test_the_first_failure_is_shown_when_it_differs_from_the_last() -> None:
    calls = []

    def objective(trial: ts.Trial) -> float:
        calls.append(trial.params["x"])
        if len(calls) == 1:
            raise RuntimeError("first: out of memory")
        if len(calls) == 4:
            raise ValueError("last: bad value")
        return _bowl(trial)

    row = compare.run(objective, PLANE, ["random"], budget=5, seeds=1).summary().row("random")
    assert (row.first_error, row.last_error) == (
        "RuntimeError: first: out of memory",
        "ValueError: last: bad value",
    )
    assert failure_part(row) == (
        "2 of 5 evaluations failed (40%; last error: ValueError: last: bad value); "
        "first error: RuntimeError: first: out of memory"
    )


def test_the_cli_compares_a_batched_objective(tmp_path: Path) -> None:
    source = tmp_path / "batched.py"
    source.write_text(
        textwrap.dedent(
            """
            import tunesmith as ts
            space = {"x": ts.Float(-1.0, 1.0)}
            def objective(trials):
                return [t.params["x"] ** 2 for t in trials]
            """
        )
    )
    db = f"sqlite:///{tmp_path / 'c.db'}"
    args = ["compare", str(source), "--strategies", "random,tpe", "--budget", "6"]
    args += ["--seeds", "2", "--storage", db, "--batch-size", "3", "--name", "b"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = compare.load("b", db).summary()
    assert [(r.made, r.failed) for r in summary.rows] == [(12, 0), (12, 0)]
    assert all(math.isfinite(r.best) for r in summary.rows)
    unbatched = CliRunner().invoke(cli, [*args[:-4], "--name", "u"])
    assert unbatched.exit_code == 0, unbatched.output
    rows = compare.load("u", db).summary().rows
    assert [r.first_error for r in rows] == ["TypeError: 'Trial' object is not iterable"] * 2
