"""NSGA-II follows the batch when no population is given, as Genetic does."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import tunesmith as ts
from tunesmith.strategies import NSGA2
from tunesmith.trial import TrialState

SPACE = {"x": ts.Float(0, 1), "y": ts.Float(0, 1)}


def _batched(sizes: list[int]):
    def objective(trials: list[ts.Trial]) -> list[tuple[float, float]]:
        sizes.append(len(trials))
        return [(t.params["x"], (1 - t.params["x"]) ** 2 + t.params["y"]) for t in trials]

    return objective


def _study(strategy: NSGA2, storage: str | None = None) -> ts.Study:
    return ts.create_study(
        name="n", storage=storage, directions=["minimize"] * 2, space=SPACE, strategy=strategy
    )


def test_batches_of_the_size_asked_and_nothing_left_waiting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study, sizes = _study(NSGA2(), url), []
    study.optimize(_batched(sizes), n_trials=200, batch_size=64)
    assert sizes == [64, 64, 64, 8]
    trials = study.trials
    assert Counter(t.state for t in trials) == {TrialState.COMPLETE: 200}
    assert sorted(Counter(t.batch for t in trials).items()) == [
        (0, 64), (64, 64), (128, 64), (192, 8)
    ]  # fmt: skip
    loaded = ts.load_study(name="n", storage=url)
    assert loaded.strategy.population_size == 20  # reads the default, stores None
    assert study.strategy.__dict__["population_size"] is None
    batches: dict[int, list] = {}
    for t in trials:
        batches.setdefault(t.batch, []).append(t)
    survivors = loaded.strategy._survivors(batches, [], SPACE)
    assert len(survivors) == 64  # as many as the largest generation, not the default 20


def test_a_batch_of_8_gets_generations_of_24_and_a_given_population_is_kept() -> None:
    study, sizes = _study(NSGA2()), []
    study.optimize(_batched(sizes), n_trials=48, batch_size=8)
    assert sizes == [8] * 6
    assert sorted(Counter(t.batch for t in study.trials).values()) == [24, 24]
    fixed, sizes = _study(NSGA2(population_size=10)), []
    fixed.optimize(_batched(sizes), n_trials=30, batch_size=64)
    assert sizes == [10, 10, 10]
    batches = {t.batch: [] for t in fixed.trials}
    assert list(batches) == [0, 10, 20]
