import pytest

import tunesmith as ts
from tunesmith.space import grid_size
from tunesmith.strategies.auto import choose

NUMERIC = {"a": ts.Float(0, 1), "b": ts.Float(1e-3, 1, log=True), "c": ts.Int(1, 50)}
MIXED = {**NUMERIC, "k": ts.Choice(["x", "y"])}
CONTINUOUS = {"a": ts.Float(0, 1), "b": ts.Float(1e-3, 1, log=True)}
TEN = {f"x{i}": ts.Float(0, 1) for i in range(10)}
WIDE = {f"x{i}": ts.Float(0, 1) for i in range(11)}
SMALL_GRID = {"n": ts.Int(1, 5), "k": ts.Choice(["x", "y"]), "s": ts.Float(0, 1, step=0.5)}


def test_grid_size():
    assert grid_size(SMALL_GRID) == 30
    assert grid_size(NUMERIC) == float("inf")


@pytest.mark.parametrize(
    "space, budget, n_obj, expected",
    [
        (SMALL_GRID, 30, 1, "grid"),
        (SMALL_GRID, 29, 1, "gp"),  # all discrete, a small budget: GP over the ranks
        (NUMERIC, 200, 1, "tpe"),  # an Int among them: ordinal, TPE leads there
        ({"a": ts.Int(0, 9), "b": ts.Int(0, 9), "c": ts.Int(1, 3)}, 100, 1, "gp"),
        ({"a": ts.Int(0, 9), "b": ts.Int(0, 9), "c": ts.Int(1, 3)}, 101, 1, "tpe"),
        ({"a": ts.Int(0, 9), "b": ts.Int(0, 9), "c": ts.Int(1, 3)}, None, 1, "tpe"),
        ({f"k{i}": ts.Choice(["x", "y", "z"]) for i in range(11)}, 50, 1, "tpe"),
        ({"k": ts.Choice(["x", "y"]), "n": ts.Int(1, 9, log=True)}, 10, 1, "gp"),
        ({**CONTINUOUS, "s": ts.Float(0, 1, step=0.1)}, 300, 1, "tpe"),
        (NUMERIC, 50, 1, "tpe"),
        (CONTINUOUS, 50, 1, "gp"),
        (CONTINUOUS, 100, 1, "gp"),
        (CONTINUOUS, 300, 1, "gp"),
        (TEN, 300, 1, "gp"),
        (CONTINUOUS, 301, 1, "cmaes"),
        (CONTINUOUS, None, 1, "cmaes"),
        ({**CONTINUOUS, "s": ts.Float(0, 1, step=0.1)}, 50, 1, "tpe"),
        (WIDE, 50, 1, "tpe"),
        (CONTINUOUS, 50, 2, "nsga2"),
        (MIXED, 500, 1, "tpe"),
        ({}, 100, 1, "tpe"),
        (NUMERIC, 200, 2, "nsga2"),
    ],
)
def test_choose_rules(space, budget, n_obj, expected):
    name, reason = choose(space, budget, n_obj)
    assert name == expected and reason


def test_auto_in_a_study_says_what_it_picked(caplog):
    study = ts.create_study(space=SMALL_GRID, strategy="auto", seed=0)
    with caplog.at_level("INFO", logger="tunesmith"):
        study.optimize(lambda t: t.params["n"], n_trials=40)
    assert study.strategy.chosen == "grid" and "30 points" in study.strategy.reason
    assert "picked grid" in caplog.text
    assert len(study.trials) == 30  # the grid ran out before the budget did
    reloaded = ts.load_study(study.study_name, storage=study._storage)
    assert reloaded.strategy.name == "auto"


def test_without_the_gp_extra_a_continuous_small_budget_gets_tpe(monkeypatch):
    from tunesmith.strategies import auto

    monkeypatch.setattr(auto, "_installed", lambda *modules: False)
    assert choose(CONTINUOUS, 50, 1)[0] == "tpe"
    assert choose(SMALL_GRID, 29, 1)[0] == "tpe"
