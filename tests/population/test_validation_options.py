"""Validation as practitioners do it: validation loss, early stopping with patience, schedules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.engine import PopulationRun
from tunesmith.population.schedules import lr_schedule
from tunesmith.strategies import Grid

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits() -> dict:
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:150], "y": y[:150], "X_val": x[150:250], "y_val": y[150:250]}


def forward(weights: dict, x: np.ndarray, n_layers: int) -> torch.Tensor:
    """A relu dense stack's outputs from one member's weights, in float64."""
    h = torch.as_tensor(x, dtype=torch.float64)
    for i in range(n_layers):
        w = torch.as_tensor(weights[f"dense{i}.weight"], dtype=torch.float64)
        h = h @ w.T + torch.as_tensor(weights[f"dense{i}.bias"], dtype=torch.float64)
        h = h.relu() if i < n_layers - 1 else h
    return h


# -- validation loss ---------------------------------------------------------------------


def test_val_loss_is_the_mean_loss_on_the_validation_data(digits) -> None:
    configs = [{"lr": 0.01}, {"optimizer": "sgd", "lr": 0.1}]
    results = pop.train(pop.MLP(hidden=(8,)), **digits, configs=configs, epochs=2)
    for result in results:
        logits = forward(result.weights, digits["X_val"], 2)
        expected = F.cross_entropy(logits, torch.as_tensor(digits["y_val"])).item()
        assert result.val_loss == pytest.approx(expected, rel=1e-5)
        assert result.metric("val_loss") == result.val_loss
    # Two classes, one output: the logistic loss; no validation data: the training data.
    x, y = digits["X"], (digits["y"] % 2).astype(np.int64)
    member = pop.train(pop.Logistic(), x, y, [{"lr": 0.05}], epochs=2)[0]
    logit = forward(member.weights, x, 1)[:, 0]
    bce = F.binary_cross_entropy_with_logits(logit, torch.as_tensor(y, dtype=torch.float64))
    assert member.val_loss == pytest.approx(bce.item(), rel=1e-5)
    # Regression: the mean squared error is the loss.
    target = x[:, :3].sum(1)
    fitted = pop.train(pop.Linear(), x, target, [{"lr": 0.01}], epochs=2)[0]
    assert fitted.val_loss == pytest.approx(fitted.mse, rel=1e-6)


def test_objective_minimizes_val_loss(digits) -> None:
    space = {"lr": ts.Choice([0.001, 0.05])}
    study = ts.create_study(direction="minimize", strategy=Grid(), space=space, seed=0)
    objective = pop.objective(pop.MLP(hidden=(8,)), **digits, metric="val_loss", epochs=2)
    assert objective.store is None and objective.metric == "val_loss"
    study.optimize(objective, n_trials=2, batch_size=2)
    values = [t.value for t in study.trials]
    assert values == pytest.approx([r.val_loss for r in objective.last_results])
    with pytest.raises(ValueError, match="The 'metric' parameter of objective must be one of"):
        pop.objective(pop.MLP(hidden=(8,)), **digits, metric="val_accuracy")


def test_halving_breaks_equal_accuracy_by_lower_val_loss(digits) -> None:
    # lr 0: each member keeps its initial weights, scaled; a dense layer scaled by s gives
    # outputs scaled by s: every prediction (the accuracy) alike, another val_loss.
    scales = [1.0, 0.2, 3.0]
    configs = [{"optimizer": "sgd", "lr": 0.0, "init_scale": s} for s in scales]
    results = pop.train(
        pop.MLP(hidden=()), **digits, configs=configs, epochs=3, early_stopping="halving", eta=3
    )
    assert len({r.accuracy for r in results}) == 1
    losses = [r.val_loss for r in results]
    assert len(set(losses)) == 3
    kept = [i for i, r in enumerate(results) if not r.pruned]
    assert kept == [int(np.argmin(losses))] and kept != [0]


# -- early stopping with patience --------------------------------------------------------

CONFIGS = [
    {"optimizer": "sgd", "lr": 1.5},
    {"optimizer": "adam", "lr": 0.05},
    {"optimizer": "sgd", "lr": 0.05},
]


def test_patience_restores_each_member_to_its_best_epoch(digits) -> None:
    model = pop.MLP(hidden=(16,))
    common = {"batch_size": 50, "seed": 3, "dtype": torch.float64}
    results = pop.train(
        model,
        **digits,
        configs=CONFIGS,
        epochs=12,
        early_stopping="patience",
        patience=2,
        monitor="val_loss",
        **common,
    )
    stopped = [r for r in results if r.stopped_epoch is not None]
    assert stopped and any(r.stopped_epoch is None for r in results)
    for config, result in zip(CONFIGS, results):
        assert not result.failed and 1 <= result.best_epoch <= 12
        if result.stopped_epoch is not None:
            assert result.stopped_epoch == result.best_epoch + 2
            assert len(result.loss_curve) == result.epochs == result.stopped_epoch
        alone = pop.train(model, **digits, configs=[config], epochs=result.best_epoch, **common)[0]
        for name, weights in alone.weights.items():
            np.testing.assert_allclose(result.weights[name], weights, rtol=1e-9, atol=1e-12)
        assert result.val_loss == pytest.approx(alone.val_loss, rel=1e-9)


def test_stopped_members_do_not_move_while_others_do(digits) -> None:
    model = pop.MLP(hidden=(16,))
    common = {"batch_size": 50, "seed": 3, "dtype": torch.float64}
    results = pop.train(
        model,
        **digits,
        configs=CONFIGS,
        epochs=12,
        early_stopping="patience",
        patience=2,
        restore_best=False,
        **common,
    )
    ends = [r.stopped_epoch or 12 for r in results]
    assert min(ends) < max(ends)
    for config, result, end in zip(CONFIGS, results, ends):
        alone = pop.train(model, **digits, configs=[config], epochs=end, **common)[0]
        for name, weights in alone.weights.items():
            np.testing.assert_allclose(result.weights[name], weights, rtol=1e-9, atol=1e-12)


def test_the_run_ends_when_every_member_has_stopped(digits, monkeypatch) -> None:
    reached: list[int] = []
    advance = PopulationRun.advance

    def counting(run, until, lr_scale=None):
        reached.append(until)
        advance(run, until, lr_scale)

    monkeypatch.setattr(PopulationRun, "advance", counting)
    configs = [{"optimizer": "sgd", "lr": 0.0}, {"optimizer": "sgd", "lr": 0.0, "l2": 0.1}]
    results = pop.train(
        pop.MLP(hidden=(4,)), **digits, configs=configs, epochs=50, early_stopping="patience",
        patience=3,
    )  # fmt: skip
    assert [(r.best_epoch, r.stopped_epoch) for r in results] == [(1, 4), (1, 4)]
    assert max(reached) == 4 and all(not r.failed for r in results)


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("patience", 0, "an int >= 1"),
        ("restore_best", "yes", "a bool"),
        ("monitor", "accuracy", "one of None, 'val_loss'"),
        ("early_stopping", "median", "one of None, 'halving', 'patience'"),
    ],
)
def test_patience_options_name_the_argument_and_the_rule(name, value, rule) -> None:
    message = f"The '{name}' parameter of train must be {rule}. Got {value!r} instead."
    with pytest.raises(ValueError) as caught:
        pop.train(pop.MLP(hidden=(4,)), np.ones((4, 2)), [0, 1, 0, 1], [{}], **{name: value})
    assert str(caught.value) == message


# -- schedules ---------------------------------------------------------------------------


def test_each_schedule_gives_its_factors() -> None:
    def factors(name, epochs, at):
        return [lr_schedule(name, epochs)(t) for t in at]

    assert factors("step", 20, [0, 9, 10, 14, 15, 19]) == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01]
    )
    assert factors("exponential", 10, [0, 5, 10]) == pytest.approx([1.0, 0.1, 0.01])
    # one-cycle: from 1/25 up to 1 over 30% of the epochs, then cosine down
    assert factors("onecycle", 10, [0, 1, 3, 6]) == pytest.approx(
        [0.04, 0.04 + 0.96 / 3, 1.0, 0.5 * (1 + np.cos(np.pi * 3 / 7))]
    )
    assert factors("warmup_cosine", 100, [0, 9, 10, 55]) == pytest.approx(
        [1 / 11, 10 / 11, 1.0, 0.5]
    )
    assert factors(lambda t: 0.5**t, 4, [0, 3]) == [1.0, 0.125]
    assert lr_schedule(None, 4) is None


def test_a_callable_schedule_drives_the_rates(digits) -> None:
    model, config = pop.MLP(hidden=(8,)), [{"optimizer": "sgd", "lr": 0.2}]
    named = pop.train(model, **digits, configs=config, epochs=4, schedule="step")[0]
    step = {0: 1.0, 1: 1.0, 2: 0.1, 3: 0.01}
    called = pop.train(model, **digits, configs=config, epochs=4, schedule=step.__getitem__)[0]
    assert named.loss_curve == called.loss_curve
    still = pop.train(model, **digits, configs=config, epochs=3, schedule=lambda t: 0.0)[0]
    start = pop.train(model, **digits, configs=config, epochs=1, schedule=lambda t: 0.0)[0]
    for name in start.weights:
        np.testing.assert_array_equal(still.weights[name], start.weights[name])


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("linear", "The 'schedule' parameter of train must be one of None, 'cosine', 'step', "),
        (lambda t: float("nan"), "must return a finite float >= 0 for epoch 0. Got nan instead"),
        (lambda t: -0.5, "must return a finite float >= 0 for epoch 0. Got -0.5 instead"),
        (lambda t: 1 / t, "calling it with epoch 0 raised ZeroDivisionError"),
    ],
)
def test_a_bad_schedule_names_the_argument_and_the_rule(schedule, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        pop.train(pop.MLP(hidden=(4,)), np.ones((4, 2)), [0, 1, 0, 1], [{}], schedule=schedule)
