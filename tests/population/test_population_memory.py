"""Memory awareness: estimates, budgets, and chunked populations equal to unchunked ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from tunesmith import population as pop
from tunesmith.population.engine import PopulationRun
from tunesmith.population.memory import Footprint, chunk_sizes

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return (x[:200] / 16.0).astype(np.float32), y[:200]


def configs(n: int) -> list[dict]:
    optimizers = ("sgd", "momentum", "rmsprop", "adam", "adamw")
    return [
        {"optimizer": optimizers[i % 5], "lr": 10 ** (-3 + i / n), "dropout": 0.1 * (i % 3)}
        for i in range(n)
    ]


def test_estimate_counts_parameters_states_and_activations() -> None:
    small = pop.estimate_bytes(1000, 100, 32)
    assert small.persistent == 1000 * 3 * 4
    assert small.transient == 1000 * 4 * 4 + 32 * 100 * 2 * 4
    assert pop.estimate_bytes(1000, 100, 64).transient > small.transient
    assert pop.estimate_bytes(1000, 100, 32, itemsize=8).total == 2 * small.total


def test_chunk_sizes_are_near_equal_and_fit() -> None:
    each = Footprint(60, 40)
    assert chunk_sizes(10, each, 10_000) == [10]
    assert chunk_sizes(10, each, 400) == [4, 3, 3]
    assert chunk_sizes(7, each, 100) == [1] * 7
    with pytest.raises(MemoryError, match="memory_budget"):
        chunk_sizes(3, each, 99)


def test_available_memory_is_positive_on_cpu() -> None:
    assert pop.available_memory("cpu") > 0


def test_a_population_over_budget_is_chunked_with_the_same_results(digits) -> None:
    x, y = digits
    model, population = pop.MLP(hidden=(16,)), configs(10)
    whole = pop.train(model, x, y, population, epochs=2, batch_size=32, seed=4)
    specs = model.params((64,), 10)
    per_member = pop.estimate_bytes(
        sum(s.size for s in specs), model.activation_size((64,), 10), 32
    )
    budget = 3 * per_member.total + 1
    chunked = pop.train(
        model, x, y, population, epochs=2, batch_size=32, seed=4, memory_budget=budget
    )
    assert len({r.chunk for r in whole}) == 1
    assert sorted({r.chunk for r in chunked}) == [0, 1, 2, 3]
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.loss_curve, b.loss_curve, rtol=1e-5)
        for name in a.weights:
            np.testing.assert_allclose(a.weights[name], b.weights[name], rtol=1e-5, atol=1e-6)


def test_halving_over_chunks_ranks_the_whole_population(digits) -> None:
    x, y = digits
    model, population = pop.MLP(hidden=(16,)), configs(9)
    options = {"epochs": 3, "batch_size": 32, "early_stopping": "halving", "seed": 2}
    whole = pop.train(model, x, y, population, **options)
    specs = model.params((64,), 10)
    each = pop.estimate_bytes(sum(s.size for s in specs), model.activation_size((64,), 10), 32)
    budget = 9 * each.persistent + 3 * each.transient + 1  # all states wait, 3 members step
    chunked = pop.train(model, x, y, population, memory_budget=budget, **options)
    assert sorted({r.chunk for r in chunked}) == [0, 1, 2]
    assert [r.epochs for r in whole] == [r.epochs for r in chunked]
    assert [r.pruned for r in whole] == [r.pruned for r in chunked]


def test_a_budget_below_one_member_is_a_clear_error(digits) -> None:
    x, y = digits
    with pytest.raises(MemoryError, match="lower batch_size"):
        pop.train(pop.MLP(), x, y, configs(2), epochs=1, memory_budget=1000)


def test_an_out_of_memory_chunk_is_retried_in_halves(digits, monkeypatch) -> None:
    x, y = digits
    model, population = pop.MLP(hidden=(8,)), configs(5)
    whole = pop.train(model, x, y, population, epochs=1, batch_size=32)
    advance = PopulationRun.advance

    def small_only(self, *args, **kwargs):
        if len(self) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return advance(self, *args, **kwargs)

    monkeypatch.setattr(PopulationRun, "advance", small_only)
    halves = pop.train(model, x, y, population, epochs=1, batch_size=32)
    for a, b in zip(whole, halves):
        np.testing.assert_allclose(a.loss_curve, b.loss_curve, rtol=1e-5)
