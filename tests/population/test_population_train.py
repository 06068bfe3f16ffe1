"""Population training: each member trains as it would alone, and as plain PyTorch would."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from tunesmith import population as pop
from tunesmith.population.data import derive_seed
from tunesmith.population.engine import PopulationRun, initial_weights
from tunesmith.population.planner import Planner

torch.set_num_threads(1)

CONFIGS = [
    {"optimizer": "sgd", "lr": 0.05},
    {"optimizer": "momentum", "lr": 0.02, "momentum": 0.8, "weight_decay": 1e-3},
    {"optimizer": "rmsprop", "lr": 1e-3, "alpha": 0.9, "dropout": 0.2},
    {"optimizer": "adam", "lr": 1e-2, "beta1": 0.8, "l2": 1e-3},
    {"optimizer": "adamw", "lr": 3e-3, "weight_decay": 0.1, "init_scale": 0.5},
    {"optimizer": "adam", "lr": 5e-3, "l1": 1e-4, "dropout": 0.5, "betas": (0.85, 0.99)},
    {"optimizer": "rmsprop", "lr": 5e-3, "momentum": 0.5},
    {"optimizer": "sgd", "lr": 0.1, "weight_decay": 1e-2},
]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return (x[:240] / 16.0).astype(np.float32), y[:240]


def assert_same_member(a: pop.MemberResult, b: pop.MemberResult, rtol: float = 1e-4) -> None:
    assert a.failed == b.failed and a.epochs == b.epochs
    np.testing.assert_allclose(a.loss_curve, b.loss_curve, rtol=rtol, atol=1e-6)
    for name in a.weights:
        np.testing.assert_allclose(a.weights[name], b.weights[name], rtol=rtol, atol=1e-5)
    # The validation metric: None only for a failed member (and the other task's metric).
    for name in ("accuracy", "mse"):
        assert (getattr(a, name) is None) == (getattr(b, name) is None), name
    if a.failed:
        assert a.accuracy is None and a.mse is None and b.accuracy is None and b.mse is None
        return
    assert (a.accuracy is None) != (a.mse is None)  # exactly one metric, a finite number
    if a.accuracy is not None:
        assert 0.0 <= a.accuracy <= 1.0 and 0.0 <= b.accuracy <= 1.0
        assert a.accuracy == pytest.approx(b.accuracy, abs=1 / 60)
    else:
        assert np.isfinite(a.mse) and a.mse == pytest.approx(b.mse, rel=rtol, abs=1e-6)


@pytest.mark.parametrize(
    "model",
    [pop.MLP(hidden=(16, 12)), pop.MLP(hidden=(8,), activation="tanh"), pop.CNN(channels=(3,))],
    ids=["mlp-relu", "mlp-tanh", "cnn"],
)
def test_each_member_trains_as_it_would_alone(digits, model) -> None:
    x, y = digits
    together = pop.train(model, x, y, CONFIGS, epochs=3, batch_size=32, seed=3)
    assert [r.params for r in together] == CONFIGS
    for config, member in zip(CONFIGS, together):
        alone = pop.train(model, x, y, [config], epochs=3, batch_size=32, seed=3)[0]
        assert_same_member(member, alone)


def test_regression_and_binary_members_train_as_alone() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = x @ rng.normal(size=5) + 0.1 * rng.normal(size=120)
    configs = [{"optimizer": "sgd", "lr": 0.05}, {"optimizer": "adam", "lr": 0.1, "l1": 0.01}]
    for model, target in ((pop.Linear(), y), (pop.Logistic(), (y > 0).astype(int))):
        both = pop.train(model, x, target, configs, epochs=4, batch_size=16, seed=1)
        for config, member in zip(configs, both):
            alone = pop.train(model, x, target, [config], epochs=4, batch_size=16, seed=1)[0]
            assert_same_member(member, alone, rtol=1e-5)
    assert both[0].weights["dense0.weight"].shape == (1, 5)  # one weight vector, as sklearn


def _reference(config: dict, x: torch.Tensor, y: torch.Tensor, init: dict, epochs: int) -> list:
    """The same member trained by nn.Sequential + torch.optim, in float64."""
    net = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).double()
    with torch.no_grad():
        for i, layer in enumerate((net[0], net[2])):
            layer.weight.copy_(torch.as_tensor(init[f"dense{i}.weight"]))
            layer.bias.copy_(torch.as_tensor(init[f"dense{i}.bias"]))
    kind, lr, wd = config["optimizer"], config["lr"], config.get("weight_decay", 0.0)
    optimizer = {
        "momentum": lambda p: torch.optim.SGD(
            p, lr=lr, momentum=config["momentum"], weight_decay=wd
        ),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=config["alpha"]),
        "adam": lambda p: torch.optim.Adam(p, lr=lr, weight_decay=wd),
        "adamw": lambda p: torch.optim.AdamW(p, lr=lr, weight_decay=wd),
    }[kind](net.parameters())
    curve = []
    for epoch in range(epochs):
        order = torch.randperm(
            len(y), generator=torch.Generator().manual_seed(derive_seed(7, 1, epoch))
        )
        total = 0.0
        for start in range(0, len(y), 32):
            index = order[start : start + 32]
            loss = nn.functional.cross_entropy(net(x[index]), y[index])
            penalty = config.get("l2", 0.0) * (
                net[0].weight.square().sum() + net[2].weight.square().sum()
            )
            optimizer.zero_grad()
            (loss + penalty).backward()
            optimizer.step()
            total += loss.item() * len(index)
        curve.append(total / len(y))
    weights = {
        "dense0.weight": net[0].weight,
        "dense0.bias": net[0].bias,
        "dense1.weight": net[2].weight,
        "dense1.bias": net[2].bias,
    }
    return curve, {k: v.detach().numpy() for k, v in weights.items()}


@pytest.mark.parametrize(
    "config",
    [
        {"optimizer": "adam", "lr": 0.01, "weight_decay": 1e-3},
        {"optimizer": "adamw", "lr": 0.01, "weight_decay": 0.1},
        {"optimizer": "momentum", "lr": 0.05, "momentum": 0.9, "l2": 1e-3},
        {"optimizer": "rmsprop", "lr": 1e-3, "alpha": 0.9},
    ],
    ids=lambda c: c["optimizer"],
)
def test_a_member_matches_plain_pytorch(digits, config) -> None:
    x, y = digits
    model = pop.MLP(hidden=(16,))
    frozen = [{"optimizer": "sgd", "lr": 0.0}]
    start = pop.train(model, x, y, frozen, epochs=1, seed=7, dtype=torch.float64)[0]
    others = [{"optimizer": "sgd", "lr": 0.1}, {"optimizer": "adam", "lr": 3e-3, "l1": 1e-4}]
    member = pop.train(
        model, x, y, [*others, config], epochs=3, batch_size=32, seed=7, dtype=torch.float64
    )[-1]
    tensors = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y)
    curve, weights = _reference(config, *tensors, start.weights, 3)
    np.testing.assert_allclose(member.loss_curve, curve, rtol=1e-6)
    for name, value in weights.items():
        np.testing.assert_allclose(member.weights[name], value, rtol=1e-6, atol=1e-9)


def test_diverging_members_fail_alone_and_are_frozen(digits) -> None:
    x, y = digits
    configs = [
        {"optimizer": "adam", "lr": 1e-2},
        {"optimizer": "sgd", "lr": 1e12},
        {"optimizer": "sgd", "lr": 0.1},
        {"optimizer": "rmsprop", "lr": 1e30, "momentum": 0.9},
    ]
    model = pop.MLP(hidden=(16,))
    results = pop.train(model, x, y, configs, epochs=3, batch_size=32, seed=0)
    assert [r.failed for r in results] == [False, True, False, True]
    for bad in (results[1], results[3]):
        assert bad.accuracy is None and "Diverged in epoch" in bad.error
        assert all(np.isfinite(w).all() for w in bad.weights.values())  # last finite weights
        assert len(bad.loss_curve) == bad.epochs <= 3
    for index in (0, 2):
        alone = pop.train(model, x, y, [configs[index]], epochs=3, batch_size=32, seed=0)[0]
        assert_same_member(results[index], alone)


def test_members_are_grouped_by_shape_and_match_their_solo_runs(digits) -> None:
    x, y = digits
    configs = [
        {"hidden": (8,), "lr": 1e-2},
        {"width": 12, "depth": 2, "optimizer": "sgd", "lr": 0.1},
        {"hidden": [8], "optimizer": "momentum"},
        {"depth": 0},
        {"hidden": (8,), "activation": "tanh"},
    ]
    model = pop.MLP(hidden=(16,))
    results = pop.train(model, x, y, configs, epochs=2, batch_size=64, seed=5)
    chunks = [r.chunk for r in results]
    assert chunks[0] == chunks[2] and len(set(chunks)) == 4
    assert results[1].weights["dense1.weight"].shape == (12, 12)
    assert set(results[3].weights) == {"dense0.weight", "dense0.bias"}
    for config, member in zip(configs, results):
        alone = pop.train(model, x, y, [config], epochs=2, batch_size=64, seed=5)[0]
        assert_same_member(member, alone)


def test_members_are_grouped_by_optimizer_in_contiguous_blocks(digits) -> None:
    x, y = digits
    planner = Planner(pop.MLP(hidden=(8,)), _data(x, y), CONFIGS, 1 << 30)
    arch, members = planner.groups[0]
    run = planner.new_run(arch, members)
    blocks = [(g.rule, g.stop - g.start) for g in run.groups]
    assert blocks == [("sgd", 2), ("momentum", 1), ("rmsprop", 2), ("adam", 2), ("adamw", 1)]
    assert [CONFIGS[m]["optimizer"] for m in run.members] == [
        "sgd",
        "sgd",
        "momentum",
        "rmsprop",
        "rmsprop",
        "adam",
        "adam",
        "adamw",
    ]
    lr = run.groups[0].hyper["lr"]  # per-member values, in the group's row order
    assert lr.tolist() == pytest.approx([0.05, 0.1])


def _data(x, y):
    from tunesmith.population.data import TrainingData

    return TrainingData(pop.MLP(), x, y, None, None, 32, 0, torch.device("cpu"))


def test_same_seed_same_results_and_other_seed_other_results(digits) -> None:
    x, y = digits
    model = pop.MLP(hidden=(8,))
    a = pop.train(model, x, y, CONFIGS[:3], epochs=1, seed=11)
    b = pop.train(model, x, y, CONFIGS[:3], epochs=1, seed=11)
    c = pop.train(model, x, y, CONFIGS[:3], epochs=1, seed=12)
    assert [r.loss_curve for r in a] == [r.loss_curve for r in b]
    assert a[0].loss_curve != c[0].loss_curve


def test_init_scale_scales_the_shared_initial_weights(digits) -> None:
    x, y = digits
    frozen = [{"optimizer": "sgd", "lr": 0.0, "init_scale": s} for s in (1.0, 0.25)]
    one, quarter = pop.train(pop.MLP(hidden=(8,)), x, y, frozen, epochs=1)
    np.testing.assert_allclose(quarter.weights["dense0.weight"], one.weights["dense0.weight"] / 4)
    specs = pop.MLP(hidden=(8,)).params((64,), 10)
    expected = initial_weights(specs, torch.Generator().manual_seed(derive_seed(0, 0)))
    np.testing.assert_allclose(one.weights["dense0.weight"], expected["dense0.weight"], rtol=1e-6)


def test_halving_keeps_the_best_third_and_survivors_match_solo(digits) -> None:
    x, y = digits
    configs = [{"optimizer": "adam", "lr": lr} for lr in np.geomspace(1e-4, 3e-1, 9).tolist()]
    model = pop.MLP(hidden=(8,))
    results = pop.train(
        model, x, y, configs, epochs=9, batch_size=32, early_stopping="halving", eta=3
    )
    epochs = sorted(r.epochs for r in results)
    assert epochs == [1] * 6 + [3] * 2 + [9]
    assert sum(r.pruned for r in results) == 8
    survivor = next(r for r in results if not r.pruned)
    assert set(survivor.intermediate) == {1, 3}
    at_one = {r.params["lr"]: r.intermediate[1] for r in results}
    kept = [r.params["lr"] for r in results if r.epochs > 1]
    assert min(at_one[lr] for lr in kept) >= max(v for lr, v in at_one.items() if lr not in kept)
    alone = pop.train(model, x, y, [survivor.params], epochs=9, batch_size=32)[0]
    assert_same_member(survivor, alone)


def test_population_run_keeps_optimizer_state_when_members_leave(digits) -> None:
    x, y = digits
    planner = Planner(pop.MLP(hidden=(8,)), _data(x, y), CONFIGS, 1 << 30)
    arch, members = planner.groups[0]
    run = planner.new_run(arch, members)
    run.advance(1)
    before = {g.rule: g.state for g in run.groups}
    run.keep([0, 5, 7])  # sgd, adam, adamw
    assert [g.rule for g in run.groups] == ["sgd", "adam", "adamw"]
    adam = next(g for g in run.groups if g.rule == "adam")
    np.testing.assert_array_equal(adam.state.exp_avg, before["adam"].exp_avg[:1])
    assert isinstance(run, PopulationRun) and len(run) == 3
    run.advance(2)
    assert len(run.curve) == 2 and run.curve[1].shape == (3,)


def test_logistic_minimizes_scikit_learns_objective() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    y = (x @ np.array([1.5, -2.0, 0.5, 0.0]) + rng.normal(size=200) > 0.3).astype(int)
    for c in (0.05, 1.0):
        config = {"optimizer": "adam", "lr": 0.2, "l2": 1 / (2 * c * len(y))}
        member = pop.train(
            pop.Logistic(),
            x,
            y,
            [config],
            epochs=500,
            batch_size=None,
            schedule="cosine",
            dtype=torch.float64,
        )[0]
        reference = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, y)
        weights = member.weights["dense0.weight"][0]
        np.testing.assert_allclose(weights, reference.coef_[0], atol=1e-5)
        np.testing.assert_allclose(member.weights["dense0.bias"], reference.intercept_, atol=1e-5)


def test_cosine_schedule_anneals_and_keeps_members_independent(digits) -> None:
    from tunesmith.population.train import lr_schedule

    factor = lr_schedule("cosine", 4)
    assert [factor(e) for e in range(4)] == pytest.approx([1.0, 0.8535534, 0.5, 0.1464466])
    x, y = digits
    model = pop.MLP(hidden=(8,))
    both = pop.train(model, x, y, CONFIGS[:4], epochs=3, schedule="cosine")
    plain = pop.train(model, x, y, CONFIGS[:1], epochs=3)[0]
    assert both[0].loss_curve[0] == pytest.approx(plain.loss_curve[0])
    assert both[0].loss_curve[-1] != pytest.approx(plain.loss_curve[-1])
    for config, member in zip(CONFIGS[:4], both):
        alone = pop.train(model, x, y, [config], epochs=3, schedule="cosine")[0]
        assert_same_member(member, alone)
