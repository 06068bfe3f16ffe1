"""Exact hypergradients: forward-mode derivatives through training, as central differences say."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.hypergradient import HypergradientObjective
from tunesmith.strategies import GradientDescent

torch.set_num_threads(1)
# the first forward-mode derivative loads torch's own decompositions, which warn
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

# optimizer -> a config where every tuned hyperparameter has a non-zero effect
CONFIGS = {
    "momentum": {"lr": 0.2, "momentum": 0.8, "weight_decay": 1e-2, "l1": 1e-3, "l2": 1e-2},
    "rmsprop": {
        "lr": 0.01,
        "alpha": 0.9,
        "momentum": 0.5,
        "weight_decay": 1e-2,
        "l1": 1e-3,
        "l2": 1e-2,
    },
    "adam": {
        "lr": 0.02,
        "beta1": 0.8,
        "beta2": 0.99,
        "weight_decay": 1e-2,
        "l1": 1e-3,
        "l2": 1e-2,
    },
}


@pytest.fixture(scope="module")
def data() -> dict:
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    return {"X": x[:90], "y": y[:90], "X_val": x[90:150], "y_val": y[90:150]}


def make(data: dict, optimizer: str, **kwargs) -> HypergradientObjective:
    model = kwargs.pop("model", pop.MLP(hidden=(6,), activation="tanh"))
    options = {"epochs": 2, "batch_size": 45, "seed": 3, "dtype": torch.float64} | kwargs
    return pop.hypergradient_objective(model, **data, optimizer=optimizer, **options)


@pytest.mark.parametrize("optimizer", sorted(CONFIGS))
def test_hypergradients_equal_central_differences(data, optimizer):
    objective = make(data, optimizer)
    config = CONFIGS[optimizer]
    [(loss, grads)] = objective.hypergradients([config])
    assert grads.keys() == config.keys()
    shifted = []  # every perturbed config is one more member of a single population
    for name, value in config.items():
        step = 1e-6 * value
        shifted += [config | {name: value + step}, config | {name: value - step}]
    losses = [out[0] for out in objective.hypergradients(shifted)]
    for i, (name, value) in enumerate(config.items()):
        central = (losses[2 * i] - losses[2 * i + 1]) / (2e-6 * value)
        assert abs(central) > 1e-3, name  # the check is not of a derivative that vanishes
        assert grads[name] == pytest.approx(central, rel=1e-4), name


def test_the_loss_is_the_one_population_train_reaches(data):
    config = {"lr": 0.05, "beta1": 0.7, "weight_decay": 1e-3, "l2": 1e-3}
    [(loss, _)] = make(data, "adam").hypergradients([config])
    model, configs = pop.MLP(hidden=(6,), activation="tanh"), [{"optimizer": "adam", **config}]
    options = {"epochs": 2, "batch_size": 45, "seed": 3, "dtype": torch.float64}
    [result] = pop.train(model, **data, configs=configs, **options)
    assert loss == pytest.approx(result.val_loss, rel=1e-12)


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_weights_that_never_get_a_gradient_have_finite_hypergradients(data, optimizer):
    # digits' first pixel is 0 everywhere: its weights' gradient, and so √v, stay exactly 0
    assert not data["X"][:, 0].any()
    [out] = make(data, optimizer).hypergradients([{"lr": 0.01, "eps": 1e-8}])
    assert isinstance(out, tuple) and all(math.isfinite(v) for v in out[1].values())


def test_each_member_gets_its_own_derivatives(data):
    objective = make(data, "momentum")
    configs = [{"lr": 0.1, "weight_decay": 1e-3}, {"lr": 0.3}, {"weight_decay": 1e-2}]
    together = objective.hypergradients(configs)
    for config, (loss, grads) in zip(configs, together):
        [(alone, alone_grads)] = objective.hypergradients([config])
        assert grads.keys() == config.keys()
        assert loss == pytest.approx(alone, rel=1e-12)
        assert grads == pytest.approx(alone_grads, rel=1e-9)


def test_gradient_descent_reads_the_exact_hypergradients(data):
    space = {"lr": ts.Float(1e-3, 1.0, log=True), "weight_decay": ts.Float(1e-5, 1e-1, log=True)}
    objective = make(data, "momentum", space=space, epochs=3)
    strategy = GradientDescent(estimator="exact", lr=0.1, patience=20)
    study = ts.create_study(strategy=strategy, seed=1)
    study.optimize(objective, n_trials=8, batch_size=4)
    trials = study.trials
    assert all(t.state is ts.TrialState.COMPLETE for t in trials)
    assert all(t.gradient.keys() == {"lr", "weight_decay"} for t in trials)
    first, second = trials[0], trials[1]
    # the first step goes against the derivative, in log space for both parameters
    for name in space:
        moved = math.log(second.params[name]) - math.log(first.params[name])
        assert moved * first.gradient[name] < 0, name
    assert study.best_value < first.value - 0.05


def test_a_run_that_diverges_fails_its_trial_alone(data):
    objective = make(data, "momentum", model=pop.MLP(hidden=(6,)))
    diverged, fine = objective.hypergradients([{"lr": 1e200}, {"lr": 0.1}])
    assert isinstance(diverged, FloatingPointError) and "diverged" in str(diverged)
    assert math.isfinite(fine[0]) and set(fine[1]) == {"lr"}


def test_a_trial_with_a_name_the_optimizer_lacks_fails_alone(data):
    objective = make(data, "adam")
    bad, good = objective.hypergradients([{"momentum": 0.5}, {"lr": 0.01}])
    assert isinstance(bad, ValueError)
    assert "The 'configs' parameter of hypergradient_objective must hold names" in str(bad)
    assert "Got ['momentum'] in configs[0] instead" in str(bad)
    assert isinstance(good, tuple)
    [bad] = objective.hypergradients([{"lr": -1.0}])
    assert isinstance(bad, ValueError) and "'lr' >= 0" in str(bad)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "adamw"}, "'optimizer' parameter of hypergradient_objective must be one"),
        ({"epochs": 0}, "'epochs' parameter of hypergradient_objective must be an int >= 1"),
        ({"batch_size": 0}, "'batch_size' parameter of hypergradient_objective"),
        ({"dtype": torch.int32}, "'dtype' parameter of hypergradient_objective"),
        ({"model": pop.MLP(dropout=0.5)}, "'model' parameter of hypergradient_objective must"),
        ({"space": {"dropout": ts.Float(0, 0.5)}}, "'space' parameter of hypergradient_objective"),
        ({"space": {"lr": ts.Int(1, 3)}}, "'space' parameter of hypergradient_objective"),
        ({"fixed": {"beta1": 0.9}, "optimizer": "rmsprop"}, "'fixed' parameter of hyper"),
        ({"fixed": {"lr": True}}, "'fixed' parameter of hypergradient_objective"),
        ({"fixed": [("lr", 0.1)]}, "'fixed' parameter of hypergradient_objective"),
        ({"device": "tpu"}, "'device' parameter of hypergradient_objective"),
    ],
)
def test_arguments_are_checked(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(data, **{"optimizer": "sgd"} | kwargs)


def test_bad_data_and_unknown_keywords_are_refused(data):
    with pytest.raises(ValueError, match="'X' parameter of hypergradient_objective"):
        make({**data, "X": np.array([1.0, 2.0])}, "sgd")
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['schedule'\]"):
        make(data, "sgd", schedule="cosine")
