"""Every pruner declares its constructor's arguments and checks them with the shared validator."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from tunesmith.pruners import Hyperband, Median, SuccessiveHalving

PRUNERS = [Median, SuccessiveHalving, Hyperband]


@pytest.mark.parametrize("cls", PRUNERS)
def test_every_pruner_declares_each_constructor_argument(cls):
    assert "_parameters" in vars(cls)
    assert list(cls._parameters) == list(inspect.signature(cls).parameters)


@pytest.mark.parametrize(
    ("cls", "arg", "value"),
    [
        (Median, "n_warmup_steps", True),
        (SuccessiveHalving, "min_early_stopping_rate", -1),
        (Hyperband, "max_resource", "max"),
        (Hyperband, "min_resource", np.float64(1)),
    ],
)
def test_a_bad_value_raises_naming_the_argument(cls, arg, value):
    rule = cls._parameters[arg].rule
    with pytest.raises(ValueError) as info:
        cls(**{arg: value})
    assert str(info.value) == (
        f"The {arg!r} parameter of {cls.__name__} must be {rule}. Got {value!r} instead."
    )


def test_numpy_ints_are_accepted_and_stored_as_ints():
    hb = Hyperband(min_resource=np.int64(2), max_resource=np.int32(27), reduction_factor=np.int8(3))
    assert repr(hb) == "Hyperband(min_resource=2, max_resource=27, reduction_factor=3)"
    median = Median(n_startup_trials=np.uint8(2))
    assert type(median.n_startup_trials) is int
