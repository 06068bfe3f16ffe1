"""The declared-parameter validator (tunesmith.validation) and every strategy's table."""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
import pytest

from tunesmith.strategies import STRATEGY_NAMES, resolve
from tunesmith.validation import (
    AnyOf,
    Boolean,
    Integer,
    IsCallable,
    NoneOr,
    OneOf,
    Real,
    Satisfies,
    check_params,
    param_error,
)


def message(owner: str, name: str, rule: str, value: Any) -> str:
    return f"The {name!r} parameter of {owner} must be {rule}. Got {value!r} instead."


def rejects(constraint: Any, value: Any) -> None:
    """``value`` fails ``constraint`` with the one message shape, naming the argument."""
    with pytest.raises(ValueError) as info:
        check_params("Owner", {"arg": constraint}, {"arg": value})
    assert str(info.value) == message("Owner", "arg", constraint.rule, value)


# -- each constraint kind: what it accepts, what it rejects, how it words the rule ---------------
@pytest.mark.parametrize(
    ("constraint", "rule", "good", "bad"),
    [
        (Integer(2), "an int >= 2", [2, 3, np.int64(2), np.uint8(9)], [1, 2.0, True, "3", None]),
        (Integer(0, 5), "an int in [0, 5]", [0, 5, np.int32(3)], [-1, 6, False, 2.5]),
        (Integer(high=3), "an int <= 3", [-7, 3], [4, np.int64(4)]),
        (Integer(), "an int", [0, -(2**70)], [1.0, np.float64(1.0), np.bool_(True)]),
        (Real(0, 1), "a float in [0, 1]", [0, 1, 0.5, np.float32(0.5), np.int64(1)], [-0.1, 1.1]),
        (Real(0, 1, closed="right"), "a float in (0, 1]", [1, 1e-9], [0, 0.0, float("nan")]),
        (Real(0, 1, closed="left"), "a float in [0, 1)", [0, 0.99], [1, 1.0]),
        (Real(0, 1, closed="neither"), "a float in (0, 1)", [0.5], [0, 1]),
        (Real(0), "a float >= 0", [0, 3.5], [-1, float("inf"), True, "0.5", None]),
        (Real(0, closed="right"), "a float > 0", [1e-300], [0, float("inf"), False]),
        (Real(high=2, closed="left"), "a float < 2", [-5], [2, 2.0]),
        (Real(), "a float", [-1e300, 0], [float("nan"), float("-inf"), True, [1.0]]),
        (Real(0, noun="a number", finite=False), "a number >= 0", [float("inf")], [float("nan")]),
        (OneOf("a", "b"), "one of 'a', 'b'", ["a", np.str_("b")], ["c", None, 1, ["a"]]),
        (OneOf("auto"), "'auto'", ["auto"], ["Auto"]),
        (OneOf(1, None), "one of 1, None", [1, None, np.int64(1)], [True, 2, "1"]),
        (OneOf(True), "True", [True, np.bool_(True)], [1, 1.0, False]),
        (Boolean(), "a bool", [True, False, np.bool_(False)], [0, 1, "yes", None]),
        (IsCallable(), "callable", [len, int, lambda: 0], [None, 3, "f"]),
        (Satisfies(lambda v: v % 2 == 0, "an even number"), "an even number", [2, 0], [1, "x"]),
        (NoneOr(Integer(1)), "an int >= 1 or None", [None, 1], [0, True, "None"]),
        (AnyOf(OneOf("auto"), Integer(1)), "'auto' or an int >= 1", ["auto", 4], [0, "x"]),
    ],
)
def test_constraint_kinds(constraint, rule, good, bad):
    assert constraint.rule == rule
    for value in good:
        assert constraint.accepts(value), value
        check_params("Owner", {"arg": constraint}, {"arg": value})
    for value in bad:
        assert not constraint.accepts(value), value
        rejects(constraint, value)


def test_bools_are_never_ints_or_reals():
    for constraint in (Integer(), Integer(0, 1), Real(), Real(0, 1), OneOf(0, 1)):
        for value in (True, False, np.bool_(True)):
            assert not constraint.accepts(value), (constraint, value)


def test_numpy_numbers_are_accepted():
    for value in (np.int8(3), np.int64(3), np.uint16(3)):
        assert Integer(1, 3).accepts(value) and Real(1, 3).accepts(value)
    for value in (np.float16(0.5), np.float32(0.5), np.float64(0.5)):
        assert Real(0, 1).accepts(value) and not Integer().accepts(value)


def test_message_shape_is_exact():
    with pytest.raises(ValueError) as info:
        check_params("Genetic", {"population_size": Integer(2)}, {"population_size": 1})
    assert str(info.value) == (
        "The 'population_size' parameter of Genetic must be an int >= 2. Got 1 instead."
    )
    error = param_error("Hyperband", "max_resource", "an int >= min_resource (5)", 3)
    assert str(error) == message("Hyperband", "max_resource", "an int >= min_resource (5)", 3)


def test_check_params_checks_in_table_order_and_skips_other_names():
    table = {"a": Integer(0), "b": Boolean()}
    check_params("Owner", table, {"self": object(), "b": True})  # "a" absent, "self" unchecked
    with pytest.raises(ValueError, match=re.escape("'a' parameter of Owner")):
        check_params("Owner", table, {"b": "no", "a": -1})


def test_real_refuses_a_bad_closed():
    with pytest.raises(ValueError, match="closed"):
        Real(0, 1, closed="open")


# -- every strategy declares its table and checks it ---------------------------------------------
def strategy_class(name: str) -> type:
    return type(resolve(name))


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_every_strategy_declares_each_constructor_argument(name):
    cls = strategy_class(name)
    assert "_parameters" in vars(cls), f"{cls.__name__} declares no _parameters of its own"
    assert list(cls._parameters) == list(inspect.signature(cls).parameters)


# one bad value per strategy with settings: (name, argument, bad value)
BAD = [
    ("gp", "n_startup_trials", 0),
    ("grid", "n_points", 0),
    ("grid", "retry_failed", "yes"),
    ("genetic", "mutation_prob", 2),
    ("nsga2", "population_size", np.float64(10)),
    ("nsga2", "crossover", "one-point"),
    ("tpe", "gamma", True),
    ("cmaes", "population_size", 3),
    ("gradient", "patience", np.float32(2)),
    ("gradient", "lr", float("nan")),
    ("bohb", "random_fraction", 1.5),
]


@pytest.mark.parametrize(("name", "arg", "value"), BAD)
def test_a_bad_value_raises_naming_the_argument(name, arg, value):
    cls = strategy_class(name)
    rule = cls._parameters[arg].rule
    with pytest.raises(ValueError) as info:
        cls(**{arg: value})
    assert str(info.value) == message(cls.__name__, arg, rule, value)


def test_every_strategy_with_settings_has_a_bad_value_case():
    with_settings = {n for n in STRATEGY_NAMES if strategy_class(n)._parameters}
    assert with_settings == {name for name, _, _ in BAD}


def test_numpy_settings_are_accepted_and_kept_as_python_numbers():
    cmaes = strategy_class("cmaes")(population_size=np.int64(6), sigma0=np.float32(0.25))
    assert type(cmaes.population_size) is int and type(cmaes.sigma0) is float
    grid = strategy_class("grid")(n_points=np.int16(3), retry_failed=np.bool_(True))
    assert type(grid.n_points) is int and grid.retry_failed is True


def test_elitism_cannot_exceed_the_population():
    genetic = strategy_class("genetic")
    with pytest.raises(ValueError) as info:
        genetic(population_size=4, elitism=5)
    assert str(info.value) == message("Genetic", "elitism", "an int in [0, population_size=4]", 5)
    assert genetic(population_size=4, elitism=4).elitism == 4
