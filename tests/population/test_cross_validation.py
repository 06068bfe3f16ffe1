"""k-fold cross-validation as a population axis: k fold members per config, one result."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.data import cv_folds
from tunesmith.strategies import Grid

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits() -> dict:
    x, y = load_digits(return_X_y=True)
    return {"X": (x[:150] / 16.0).astype(np.float32), "y": y[:150]}


# -- k-fold cross-validation -------------------------------------------------------------


def test_each_fold_member_trains_as_alone_without_its_fold(digits) -> None:
    x, y = digits["X"], digits["y"]
    configs = [{"lr": 0.01}, {"optimizer": "sgd", "lr": 0.1, "hidden": (6,)}]
    common = {"epochs": 3, "batch_size": 32, "seed": 2, "dtype": torch.float64}
    results = pop.train(pop.MLP(hidden=(8,)), x, y, configs, cv=3, **common)
    folds = cv_folds(len(y), 3, 2).numpy()
    assert sorted(np.bincount(folds)) == [50, 50, 50]
    for config, result in zip(configs, results):
        assert len(result.folds) == 3 and len(result.cv_scores) == 3
        assert result.accuracy == pytest.approx(np.mean(result.cv_scores))
        assert result.val_loss == pytest.approx(np.mean([f.val_loss for f in result.folds]))
        for fold, member in enumerate(result.folds):
            held = folds == fold
            alone = pop.train(pop.MLP(hidden=(8,)), x, y, [config], X_val=x[held], y_val=y[held],
                              sample_weight=(~held).astype(float), **common)[0]  # fmt: skip
            assert member.accuracy == alone.accuracy == result.cv_scores[fold]
            assert member.val_loss == pytest.approx(alone.val_loss, rel=1e-10)
            assert member.loss_curve == pytest.approx(alone.loss_curve, rel=1e-10)
            for name, weights in alone.weights.items():
                np.testing.assert_allclose(member.weights[name], weights, rtol=1e-9, atol=1e-12)


def test_cv_with_patience_and_in_a_study(digits) -> None:
    x, y = digits["X"], digits["y"]
    result = pop.train(pop.MLP(hidden=(8,)), x, y, [{"optimizer": "sgd", "lr": 0.0}], cv=2,
                       epochs=20, early_stopping="patience", patience=2)[0]  # fmt: skip
    assert [(f.best_epoch, f.stopped_epoch) for f in result.folds] == [(1, 3), (1, 3)]
    study = ts.create_study(direction="maximize", strategy=Grid(), space={"lr": ts.Choice([0.01])})
    objective = pop.objective(pop.MLP(hidden=(8,)), x, y, cv=3, epochs=2)
    study.optimize(objective, n_trials=1, batch_size=1)
    assert study.trials[0].value == pytest.approx(np.mean(objective.last_results[0].cv_scores))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cv": 1}, "The 'cv' parameter of train must be an int >= 2 or None. Got 1 instead."),
        ({"cv": 2, "early_stopping": "halving"}, "The 'cv' parameter of train must be None with"),
        ({"cv": 5}, "The 'cv' parameter of train must be at most the number of training samples"),
        ({"cv": 2, "X_val": np.ones((2, 2)), "y_val": [0, 1]}, "or 'cv', not both"),
    ],
)
def test_bad_cv_names_the_argument_and_the_rule(kwargs, message) -> None:
    with pytest.raises(ValueError) as caught:
        pop.train(pop.MLP(hidden=(4,)), np.ones((4, 2)), [0, 1, 0, 1], [{}], **kwargs)
    assert message in str(caught.value)
