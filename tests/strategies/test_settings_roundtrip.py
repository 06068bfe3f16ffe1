"""Stored strategy settings: every registered strategy survives to_attrs -> JSON -> from_attrs,
an unusable record falls back to random search with a warning, and a study never changes the
strategy instance it is given."""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.records import dumps
from tunesmith.strategies import STRATEGY_NAMES, from_attrs, resolve, to_attrs
from tunesmith.strategies.genetic import Genetic
from tunesmith.strategies.random import Random

# name -> settings that differ from every default (strategies without settings: {})
NON_DEFAULT: dict[str, dict[str, Any]] = {
    "gp": {"n_startup_trials": 5, "trust_region": False},
    "grid": {"n_points": 3, "retry_failed": True},
    "random": {},
    "genetic": {
        "population_size": 8,
        "crossover": "blend",
        "crossover_prob": 0.7,
        "crossover_eta": 10.0,
        "blend_alpha": 0.3,
        "mutation": "polynomial",
        "mutation_prob": 0.2,
        "mutation_scale": 0.2,
        "mutation_eta": 5.0,
        "tournament_size": 3,
        "elitism": 2,
        "steady_state": True,
    },
    "nsga2": {
        "population_size": 12,
        "crossover": "uniform",
        "crossover_prob": 0.8,
        "crossover_eta": 10.0,
        "blend_alpha": 0.25,
        "mutation": "gaussian",
        "mutation_prob": 0.5,
        "mutation_scale": 0.05,
        "mutation_eta": 30.0,
        "tournament_size": 3,
    },
    "tpe": {
        "n_startup_trials": 5,
        "n_ei_candidates": 12,
        "gamma": 0.2,
        "max_good": 10,
        "prior_weight": 2.0,
        "constant_liar": True,
        "avoid_repeats": True,
    },
    "cmaes": {"sigma0": 0.25, "population_size": 6, "restart": "bipop", "inc_popsize": 3.0},
    "gradient": {
        "lr": 0.05,
        "estimator": "central",
        "optimizer": "momentum",
        "momentum": 0.5,
        "beta2": 0.99,
        "perturbation": 0.1,
        "patience": 4,
        "tol": 1e-3,
    },
    "auto": {},
    "bohb": {
        "random_fraction": 0.25,
        "min_points": 4,
        "gamma": 0.3,
        "n_ei_candidates": 16,
        "bandwidth_factor": 2.0,
        "prior_weight": 0.5,
        "pruned_as_bad": True,
    },
}


def build(name: str, **settings: Any) -> ts.strategies.Strategy:
    return type(resolve(name))(**settings)


def test_every_registered_strategy_has_non_default_settings_here():
    assert set(NON_DEFAULT) == set(STRATEGY_NAMES)
    for name, settings in NON_DEFAULT.items():
        signature = inspect.signature(type(resolve(name))).parameters
        assert set(settings) == set(signature), name
        for key, value in settings.items():
            assert value != signature[key].default, (name, key)


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_settings_round_trip_through_json(name):
    strategy = build(name, **NON_DEFAULT[name])
    attrs = to_attrs(strategy)
    assert attrs == {"name": name, "config": NON_DEFAULT[name]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = from_attrs(json.loads(dumps(attrs)))
    assert type(back) is type(strategy)
    assert to_attrs(back) == attrs
    assert repr(back) == repr(strategy)


def test_numpy_settings_are_stored_as_plain_numbers():
    strategy = Genetic(population_size=np.int64(8), crossover_prob=np.float32(0.5))
    assert repr(strategy).startswith(
        "Genetic(population_size=8, crossover='sbx', crossover_prob=0.5,"
    )
    back = from_attrs(json.loads(dumps(to_attrs(strategy))))
    assert repr(back) == repr(strategy)


@pytest.mark.parametrize(
    "attrs",
    [
        {"name": "annealing", "config": {}},  # no such strategy (a newer version's, say)
        {"name": "genetic", "config": {"population_size": 1}},  # a setting out of range
        {"name": "tpe", "config": {"n_trees": 3}},  # a setting it does not have
        {"config": {}},  # no name at all
    ],
)
def test_an_unusable_record_falls_back_to_random_search_with_a_warning(attrs):
    with pytest.warns(UserWarning, match="could not be rebuilt.*continues with random search"):
        strategy = from_attrs(attrs)
    assert type(strategy) is Random


SPACE = {"x": ts.Float(0, 1), "y": ts.Int(0, 9)}


def test_one_instance_serves_studies_of_opposite_directions_unchanged():
    g = Genetic(population_size=4)
    before = (repr(g), dict(vars(g)).keys(), g.directions)
    low = ts.create_study(direction="minimize", strategy=g, space=SPACE, seed=0)
    high = ts.create_study(direction="maximize", strategy=g, space=SPACE, seed=0)
    assert low.strategy is not g and high.strategy is not g
    assert low.strategy.directions == ("minimize",)
    assert high.strategy.directions == ("maximize",)

    def objective(trial: Any) -> float:
        return trial.params["x"] + trial.params["y"]

    low.optimize(objective, n_trials=12, progress=False)
    high.optimize(objective, n_trials=12, progress=False)
    assert (repr(g), dict(vars(g)).keys(), g.directions) == before
    assert g.directions == ("minimize",) and "directions" not in vars(g)
    assert not g._history_cache.keys  # the studies' copies read their histories, not g
    assert low.strategy.directions == ("minimize",)
    assert high.strategy.directions == ("maximize",)
    assert low.best_value < high.best_value
