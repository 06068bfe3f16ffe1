"""Class and sample weights: the training loss is the weighted mean, as torch defines it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.strategies import Grid

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits() -> dict:
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:150], "y": y[:150], "X_val": x[150:250], "y_val": y[150:250]}


# -- class and sample weights ------------------------------------------------------------


def one_step(digits, **weighting) -> tuple[pop.MemberResult, pop.MemberResult]:
    """A softmax regression's (uniform) initial weights (lr 0) and its weights after one
    full-batch SGD step."""
    kwargs = {"epochs": 1, "batch_size": None, "dtype": torch.float64}
    runs = [
        pop.train(
            pop.MLP(hidden=()),
            digits["X"],
            digits["y"],
            [{"optimizer": "sgd", "lr": lr}],
            **kwargs,
            **weighting,
        )[0]  # fmt: skip
        for lr in (0.0, 0.5)
    ]
    return runs[0], runs[1]


def test_class_weights_give_torchs_weighted_cross_entropy(digits) -> None:
    class_weight = {c: 1.0 + c / 3 for c in range(10)}
    start, moved = one_step(digits, class_weight=class_weight)
    w = torch.tensor(start.weights["dense0.weight"], requires_grad=True)
    b = torch.tensor(start.weights["dense0.bias"], requires_grad=True)
    logits = torch.as_tensor(digits["X"], dtype=torch.float64) @ w.T + b
    weight = torch.tensor([class_weight[c] for c in range(10)], dtype=torch.float64)
    loss = torch.nn.CrossEntropyLoss(weight=weight)(logits, torch.as_tensor(digits["y"]))
    loss.backward()
    assert start.loss_curve[0] == pytest.approx(loss.item(), rel=1e-12)
    expected = (w - 0.5 * w.grad).detach().numpy()
    np.testing.assert_allclose(moved.weights["dense0.weight"], expected, rtol=1e-10)
    uneven = {"X": digits["X"][:137], "y": digits["y"][:137]}
    balanced, _ = one_step(uneven, class_weight="balanced")
    counts = np.bincount(uneven["y"], minlength=10)
    assert len(set(counts)) > 1
    per_class = torch.as_tensor(len(uneven["y"]) / (10 * counts))
    labels, logits = torch.as_tensor(uneven["y"]), logits.detach()[:137]
    reference = torch.nn.CrossEntropyLoss(weight=per_class)(logits, labels)
    assert balanced.loss_curve[0] == pytest.approx(reference.item(), rel=1e-12)
    unweighted = F.cross_entropy(logits, labels).item()
    assert balanced.loss_curve[0] != pytest.approx(unweighted, rel=1e-6)


def test_sample_weights_give_the_weighted_mean_loss(digits) -> None:
    s = np.random.default_rng(0).uniform(0, 2, len(digits["y"]))
    start, _ = one_step(digits, sample_weight=s)
    w = torch.as_tensor(start.weights["dense0.weight"])
    logits = torch.as_tensor(digits["X"], dtype=torch.float64) @ w.T
    logits = logits + torch.as_tensor(start.weights["dense0.bias"])
    per = F.cross_entropy(logits, torch.as_tensor(digits["y"]), reduction="none")
    weights = torch.as_tensor(s)
    assert start.loss_curve[0] == pytest.approx((per * weights).sum() / weights.sum(), rel=1e-12)
    # regression: Σ s_i (ŷ_i − y_i)² / Σ s_i, in minibatches too (epoch curve weighted alike)
    target = digits["X"][:, :4].sum(1)
    fit = pop.train(pop.Linear(), digits["X"], target, [{"optimizer": "sgd", "lr": 0.0}],
                    sample_weight=s, epochs=1, batch_size=32, dtype=torch.float64)[0]  # fmt: skip
    expected = (s * target**2).sum() / s.sum()  # zero initial weights predict 0
    assert fit.loss_curve[0] == pytest.approx(expected, rel=1e-12)
    plain = pop.train(pop.Linear(), digits["X"], target, [{}], epochs=2)[0]
    ones = pop.train(pop.Linear(), digits["X"], target, [{}], epochs=2, sample_weight=np.ones(150))
    assert ones[0].loss_curve == pytest.approx(plain.loss_curve, rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"class_weight": {0: -1.0}}, "The 'class_weight' parameter of train must be None, "),
        ({"class_weight": {7: 1.0}}, "must name classes of y [0, 1]. Got 7 instead."),
        ({"class_weight": {0: 0.0, 1: 0.0}}, "must leave some training sample a weight > 0"),
        ({"sample_weight": [1.0, 2.0]}, "The 'sample_weight' parameter of train must be a 1-D"),
        ({"sample_weight": [1.0, -1.0, 1.0, 1.0]}, "finite floats >= 0 (one per training"),
    ],
)
def test_bad_weights_name_the_argument_and_the_rule(kwargs, message) -> None:
    with pytest.raises(ValueError) as caught:
        pop.train(pop.MLP(hidden=(4,)), np.ones((4, 2)), [0, 1, 0, 1], [{}], **kwargs)
    assert message in str(caught.value)
    with pytest.raises(ValueError, match="The 'class_weight' parameter of objective must be None"):
        pop.objective(pop.Linear(), np.ones((4, 2)), np.ones(4), class_weight="balanced")
    with pytest.raises(ValueError, match="The 'sample_weight' parameter of objective must be"):
        pop.objective(pop.Linear(), np.ones((4, 2)), np.ones(4), sample_weight=[1.0])


def test_objective_trains_with_sample_weights(digits) -> None:
    s = np.random.default_rng(1).uniform(0, 2, len(digits["y"]))
    study = ts.create_study(direction="maximize", strategy=Grid(), space={"lr": ts.Choice([0.01])})
    objective = pop.objective(pop.MLP(hidden=(8,)), **digits, sample_weight=s, epochs=2)
    study.optimize(objective, n_trials=1, batch_size=1)
    direct = pop.train(pop.MLP(hidden=(8,)), **digits, configs=[{"lr": 0.01}], epochs=2)[0]
    weighted = pop.train(
        pop.MLP(hidden=(8,)), **digits, configs=[{"lr": 0.01}], epochs=2, sample_weight=s
    )[0]
    assert study.trials[0].user_attrs["loss_curve"] == pytest.approx(weighted.loss_curve)
    assert weighted.loss_curve != pytest.approx(direct.loss_curve)
