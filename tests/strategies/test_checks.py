"""Strategy.check: each strategy refuses, before anything is stored, the spaces and directions it
cannot run on, naming itself and the rule; the first proposal refuses them the same way."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import STRATEGY_NAMES, resolve
from tunesmith.strategies.auto import Auto
from tunesmith.strategies.base import Strategy
from tunesmith.strategies.grid import Grid

MIXED = {
    "lr": ts.Float(1e-4, 1.0, log=True),
    "x": ts.Float(-3.0, 3.0),
    "q": ts.Float(0.0, 1.0, step=0.25),
    "n": ts.Int(1, 12),
    "act": ts.Choice(["relu", "tanh"]),
}
FINITE = {"q": ts.Float(0.0, 1.0, step=0.25), "n": ts.Int(1, 3), "act": ts.Choice(["a", "b"])}
ONE, TWO, THREE = ("minimize",), ("minimize", "maximize"), ("minimize",) * 3
SPACES = {"mixed": MIXED, "finite": FINITE, "define-by-run": {}}

NO_GRID = (
    "Strategy 'grid' needs a declared space: this study has none (its parameters are suggested "
    "inside the objective); declare every parameter in its space."
)
NO_STEP = (
    "Strategy 'grid' needs a finite declared space: parameter 'x' is Float(low=-3.0, high=3.0, "
    "log=False, step=None) with no step; give it a step or use Grid(n_points=n)."
)
NO_STEP_LOG = (
    "Strategy 'grid' needs a finite declared space: parameter 'lr' is Float(low=0.0001, "
    "high=1.0, log=True, step=None) with no step; use Grid(n_points=n)."
)


def one_objective(name: str, k: int) -> str:
    return (
        f"Strategy {name!r} optimizes one objective; this study has {k} directions: use "
        "'nsga2', 'tpe' or 'random'."
    )


# name -> (space name, directions) pairs refused; every other pair is accepted
REFUSED = {
    "grid": {(s, d) for s in ("mixed", "define-by-run") for d in (ONE, TWO, THREE)},
    "cmaes": {(s, d) for s in SPACES for d in (TWO, THREE)},
    "gradient": {(s, d) for s in SPACES for d in (TWO, THREE)},
    "bohb": {(s, d) for s in SPACES for d in (TWO, THREE)},
}
STRATEGIES = {
    **{name: (lambda name=name: resolve(name)) for name in STRATEGY_NAMES},
    "genetic-steady": lambda: ts.strategies.Genetic(steady_state=True),
}


@pytest.mark.parametrize("key", sorted(STRATEGIES))
@pytest.mark.parametrize("space_name", sorted(SPACES))
@pytest.mark.parametrize("directions", [ONE, TWO, THREE], ids=["one", "two", "three"])
def test_every_strategy_accepts_what_it_runs_on_and_only_that(key, space_name, directions):
    strategy = STRATEGIES[key]().for_directions(directions)
    refused = (space_name, directions) in REFUSED.get(key, set())
    if refused:
        with pytest.raises(ValueError, match=f"^Strategy {key!r} "):
            strategy.check(SPACES[space_name], directions)
    else:  # accepted: it proposes there too
        assert strategy.check(SPACES[space_name], directions) is None
        assert strategy.propose([], SPACES[space_name], 2, np.random.default_rng(0))


def test_the_base_class_accepts_everything():
    assert Strategy().check({}, THREE) is None
    assert Strategy().check(MIXED, ONE) is None


def test_grid_messages_name_the_rule_and_the_fix():
    with pytest.raises(ValueError) as info:
        Grid().check({}, ONE)
    assert str(info.value) == NO_GRID
    with pytest.raises(ValueError) as info:
        Grid().check({"q": FINITE["q"], "x": MIXED["x"]}, ONE)
    assert str(info.value) == NO_STEP
    with pytest.raises(ValueError) as info:
        Grid().check({"lr": MIXED["lr"]}, ONE)  # a log Float cannot take a step
    assert str(info.value) == NO_STEP_LOG
    assert Grid(n_points=3).check(MIXED, TWO) is None
    assert Grid().check(FINITE, TWO) is None
    with pytest.raises(ValueError, match=re.escape(NO_GRID)):
        Grid(n_points=3).check({}, ONE)  # n_points does not declare a space


@pytest.mark.parametrize("name", ["cmaes", "gradient"])
def test_single_objective_messages_count_the_directions(name):
    for directions in (TWO, THREE):
        with pytest.raises(ValueError) as info:
            resolve(name).check(MIXED, directions)
        assert str(info.value) == one_objective(name, len(directions))


@pytest.mark.parametrize(
    "name, space, directions, message",
    [
        ("grid", {}, ONE, NO_GRID),
        ("grid", MIXED, ONE, NO_STEP_LOG),
        ("cmaes", MIXED, TWO, one_objective("cmaes", 2)),
        ("gradient", MIXED, THREE, one_objective("gradient", 3)),
    ],
    ids=["grid-define-by-run", "grid-no-step", "cmaes-two", "gradient-three"],
)
def test_proposing_refuses_with_the_same_message(name, space, directions, message):
    strategy = resolve(name).for_directions(directions)
    with pytest.raises(ValueError) as info:
        strategy.propose([], space, 1, np.random.default_rng(0))
    assert str(info.value) == message


def test_auto_checks_the_technique_it_picked():
    auto = Auto().for_directions(ONE)
    auto.plan(100)
    assert auto.propose([], FINITE, 1, np.random.default_rng(0))  # 24 points: grid is picked
    assert auto.chosen == "grid"
    assert auto.check(FINITE, ONE) is None
    with pytest.raises(ValueError) as info:
        auto.check({}, ONE)
    assert str(info.value) == NO_GRID


def test_auto_passes_the_budget_to_the_technique_it_picked():
    auto = Auto().for_directions(TWO)
    auto.plan(10)
    assert len(auto.propose([], MIXED, 1, np.random.default_rng(0))) == 10  # nsga2, cut to 10
    auto.plan(None)
    assert len(auto.propose([], MIXED, 1, np.random.default_rng(0))) == 20  # its whole population
