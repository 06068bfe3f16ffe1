"""The training options are one checked ``TrainingOptions``, given one by one or as a whole."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tunesmith import population as pop
from tunesmith.population.options import TABLE

X = np.random.default_rng(0).random((40, 16)).astype(np.float32)
Y = np.arange(40) % 3


def test_defaults_and_the_table_name_every_checked_option() -> None:
    options = pop.TrainingOptions()
    fields = [f.name for f in dataclasses.fields(options)]
    assert set(TABLE) | {"device"} == set(fields) and len(fields) == 15
    assert options.device == torch.device("cpu") and options.epochs == 10
    assert options.rungs() == [] and options.lr_scale() is None


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("epochs", 0, "an int >= 1"),
        ("epochs", True, "an int >= 1"),
        ("batch_size", 2.5, "an int >= 1 or None"),
        ("seed", "1", "an int"),
        ("memory_budget", 0, "an int > 0 (bytes) or None"),
        ("early_stopping", "median", "one of None, 'halving', 'patience'"),
        ("eta", 1, "an int >= 2"),
        ("min_epochs", 0, "an int >= 1"),
        (
            "schedule",
            "linear",
            "one of None, 'cosine', 'step', 'exponential', 'onecycle', 'warmup_cosine' or a "
            "callable epoch -> factor",
        ),
        ("dtype", torch.float16, "one of torch.float32, torch.float64"),
    ],
)
def test_each_rule_names_the_argument_and_its_owner(name, value, rule) -> None:
    message = f"The '{name}' parameter of {{}} must be {rule}. Got {value!r} instead."
    with pytest.raises(ValueError) as caught:
        pop.TrainingOptions(**{name: value})
    assert str(caught.value) == message.format("TrainingOptions")
    with pytest.raises(ValueError) as caught:
        pop.train(pop.MLP(hidden=(4,)), X, Y, [{}], **{name: value})
    assert str(caught.value) == message.format("train")
    with pytest.raises(ValueError) as caught:
        pop.objective(pop.MLP(hidden=(4,)), X, Y, **{name: value})
    assert str(caught.value) == message.format("objective")


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="train\\(\\) got an unexpected keyword argument 'epoch'"):
        pop.train(pop.MLP(hidden=(4,)), X, Y, [{}], epoch=3)
    with pytest.raises(TypeError, match="objective\\(\\) got an unexpected keyword argument"):
        pop.objective(pop.MLP(hidden=(4,)), X, Y, owner="x")
    with pytest.raises(ValueError, match="The 'options' parameter of train must be"):
        pop.train(pop.MLP(hidden=(4,)), X, Y, [{}], options={"epochs": 2})


def test_options_object_and_keywords_train_the_same() -> None:
    model, configs = pop.MLP(hidden=(4,)), [{"lr": 0.01}, {"optimizer": "sgd", "lr": 0.1}]
    options = pop.TrainingOptions(epochs=3, batch_size=8, seed=4, schedule="cosine")
    by_object = pop.train(model, X, Y, configs, options=options)
    by_keywords = pop.train(model, X, Y, configs, epochs=3, batch_size=8, seed=4, schedule="cosine")
    assert [r.loss_curve for r in by_object] == [r.loss_curve for r in by_keywords]
    assert all(len(r.loss_curve) == 3 for r in by_object)
    overridden = pop.train(model, X, Y, configs, options=options, epochs=1)
    assert all(len(r.loss_curve) == 1 for r in overridden)
    objective = pop.objective(model, X, Y, options=options, seed=5)
    assert objective.options == dataclasses.replace(options, seed=5)


def test_halving_rungs_come_from_the_options() -> None:
    options = pop.TrainingOptions(epochs=9, early_stopping="halving", eta=3, min_epochs=1)
    assert options.rungs() == [1, 3]
    assert options.lr_scale() is None
