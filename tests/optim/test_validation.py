"""Bad hyperparameters fail at the boundary with one message shape naming the argument."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import tunesmith.optim as ts_optim
from tunesmith.optim import functional as F


def _param() -> torch.Tensor:
    return torch.zeros(4, 3, requires_grad=True)


def test_message_shape_for_a_negative_lr() -> None:
    with pytest.raises(ValueError) as error:
        ts_optim.Adam([_param()], lr=-1)
    assert str(error.value) == "The 'lr' parameter of Adam must be >= 0. Got -1 instead."


BAD_CONSTRUCTIONS = [
    (ts_optim.SGD, {"lr": -0.1}, "The 'lr' parameter of SGD must be >= 0. Got -0.1 instead."),
    (ts_optim.SGD, {"momentum": -0.5}, "'momentum' parameter of SGD must be >= 0"),
    (ts_optim.SGD, {"dampening": 1.5}, "'dampening' parameter of SGD must be in [0, 1]"),
    (
        ts_optim.SGD,
        {"nesterov": True},
        "'nesterov' parameter of SGD requires momentum > 0 and dampening == 0. "
        "Got momentum=0.0, dampening=0.0 instead.",
    ),
    (
        ts_optim.SGD,
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        "'nesterov' parameter of SGD requires momentum > 0 and dampening == 0",
    ),
    (ts_optim.SGD, {"nesterov": "yes"}, "'nesterov' parameter of SGD must be a bool"),
    (ts_optim.RMSprop, {"eps": -1e-8}, "The 'eps' parameter of RMSprop must be >= 0. Got -1e-08"),
    (ts_optim.RMSprop, {"alpha": 1.2}, "'alpha' parameter of RMSprop must be in [0, 1]"),
    (
        ts_optim.Adam,
        {"betas": (1.0, 0.999)},
        "The 'betas' parameter of Adam must be a pair of values in [0, 1). Got (1.0, 0.999)",
    ),
    (ts_optim.Adam, {"betas": (0.9, -0.1)}, "'betas' parameter of Adam must be a pair of values"),
    (ts_optim.Adam, {"betas": (0.9,)}, "'betas' parameter of Adam must be a pair of values"),
    (ts_optim.Adam, {"eps": -1.0}, "The 'eps' parameter of Adam must be >= 0. Got -1.0 instead."),
    (ts_optim.Adam, {"weight_decay": -0.1}, "'weight_decay' parameter of Adam must be >= 0"),
    (ts_optim.Adam, {"lr": "fast"}, "The 'lr' parameter of Adam must be a real number or a 1-D"),
    (ts_optim.AdamW, {"amsgrad": 1}, "'amsgrad' parameter of AdamW must be a bool"),
    (ts_optim.Adagrad, {"lr_decay": -1}, "'lr_decay' parameter of Adagrad must be >= 0"),
    (
        ts_optim.Adagrad,
        {"initial_accumulator_value": -1},
        "'initial_accumulator_value' parameter of Adagrad must be >= 0",
    ),
    (ts_optim.SGDHD, {"hypergrad_lr": -1}, "'hypergrad_lr' parameter of SGDHD must be >= 0"),
    (
        ts_optim.SGDHD,
        {"lr_bounds": (1.0, 0.1)},
        "'lr_bounds' parameter of SGDHD must be None or a pair (min, max) with 0 <= min <= max",
    ),
    (ts_optim.AdamHD, {"lr_bounds": (-1, 1)}, "'lr_bounds' parameter of AdamHD must be None"),
    (
        ts_optim.Adam,
        {"lr": [0.1, -0.2, 0.3, 0.1]},
        "The 'lr' parameter of Adam must be >= 0 for every population member. Got -0.2 at index 1",
    ),
    (
        ts_optim.Adam,
        {"lr": [0.1, 0.2]},
        "The 'lr' parameter of Adam has a population axis of length 2, which does not broadcast "
        "against a parameter of shape (4, 3)",
    ),
    (
        ts_optim.Adam,
        {"betas": (torch.full((5,), 0.9), 0.999)},
        "'betas[0]' parameter of Adam has a population axis of length 5",
    ),
    (ts_optim.RMSprop, {"lr": np.ones((4, 3))}, "must be a real number or a non-empty 1-D array"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), BAD_CONSTRUCTIONS)
def test_bad_constructor_arguments_raise_value_error(cls: type, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        cls([_param()], **kwargs)


def test_bad_param_group_is_refused_and_not_kept() -> None:
    optimizer = ts_optim.SGD([_param()], lr=0.1)
    with pytest.raises(ValueError, match=re.escape("The 'lr' parameter of SGD must be >= 0")):
        optimizer.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "lr": -1.0})
    assert len(optimizer.param_groups) == 1
    with pytest.raises(ValueError, match="'momentum' parameter of SGD"):
        ts_optim.SGD([{"params": [_param()], "momentum": -1}], lr=0.1)


BAD_RULE_CALLS = [
    (F.adam, {"lr": -1}, "The 'lr' parameter of adam must be >= 0. Got -1 instead."),
    (F.adam, {"betas": (0.9, 1.0)}, "The 'betas' parameter of adam must be a pair of values"),
    (F.adam, {"eps": -1e-8}, "The 'eps' parameter of adam must be >= 0"),
    (
        F.adamw,
        {"lr": np.array([0.1, 0.1])},
        "'lr' parameter of adamw has a population axis of length 2",
    ),
    (
        F.sgd,
        {"nesterov": True, "momentum": 0.0},
        "'nesterov' parameter of sgd requires momentum > 0",
    ),
    (
        F.sgd,
        {"nesterov": True, "momentum": np.array([0.9, 0.0, 0.9, 0.9])},
        "'nesterov' parameter of sgd requires momentum > 0",
    ),
    (F.rmsprop, {"eps": -1}, "'eps' parameter of rmsprop must be >= 0"),
    (F.adagrad, {"lr": -1}, "'lr' parameter of adagrad must be >= 0"),
    (F.gradient_descent, {"lr": -1}, "'lr' parameter of gradient_descent must be >= 0"),
]
INITS = {
    F.adam: F.adam_init,
    F.adamw: F.adam_init,
    F.sgd: F.sgd_init,
    F.rmsprop: F.rmsprop_init,
    F.adagrad: F.adagrad_init,
    F.gradient_descent: F.gradient_descent_init,
}


@pytest.mark.parametrize(("rule", "kwargs", "message"), BAD_RULE_CALLS)
def test_bad_rule_arguments_raise_value_error(rule, kwargs: dict, message: str) -> None:
    param = np.zeros((4, 3))
    with pytest.raises(ValueError, match=re.escape(message)):
        rule(param, np.ones((4, 3)), INITS[rule](param), **kwargs)


def test_rule_checks_gradient_shape_and_hypergradient_init() -> None:
    param = np.zeros((4, 3))
    with pytest.raises(ValueError, match="'grad' argument of sgd must have the parameter's shape"):
        F.sgd(param, np.zeros(3), F.sgd_init(param))
    with pytest.raises(ValueError, match="'lr' parameter of sgd_hd_init must be >= 0"):
        F.sgd_hd_init(param, lr=-0.1)
    with pytest.raises(ValueError, match="'lr_bounds' parameter of adam_hd must be None"):
        F.adam_hd(param, param, F.adam_hd_init(param), lr_bounds=(0.2, 0.1))


def test_functional_works_without_torch_and_classes_name_the_extra() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None  # as if torch were not installed
        import numpy as np
        import tunesmith.optim as optim
        param = np.ones(3)
        new, _ = optim.functional.adam(param, np.ones(3), optim.functional.adam_init(param), lr=0.1)
        assert np.allclose(new, 0.9), new
        try:
            optim.Adam
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert 'pip install "tunesmith[torch]"' in result.stdout
