"""The pure update rules: golden values, NumPy and torch agreeing, purity, population axes."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tunesmith.optim import functional as F

from .problems import Problem, relative_error, run_rule

RULES = {
    "gradient_descent": (F.gradient_descent_init, F.gradient_descent, {"lr": 0.05}),
    "sgd": (F.sgd_init, F.sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "rmsprop": (F.rmsprop_init, F.rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    "adam": (F.adam_init, F.adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    "adamw": (F.adamw_init, F.adamw, {"lr": 0.01, "weight_decay": 0.1}),
    "adagrad": (F.adagrad_init, F.adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    "sgd_hd": (F.sgd_hd_init, F.sgd_hd, {"hypergrad_lr": 1e-8, "momentum": 0.9}),
    "adam_hd": (F.adam_hd_init, F.adam_hd, {"hypergrad_lr": 1e-5}),
}


def test_gradient_descent_golden_step() -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    new, _ = F.gradient_descent(param, grad, F.gradient_descent_init(param), lr=0.1)
    np.testing.assert_array_equal(new, [0.95, -2.4])
    new, _ = F.gradient_descent(param, grad, F.gradient_descent_init(param), lr=0.1, maximize=True)
    np.testing.assert_array_equal(new, [1.05, -1.6])


def test_sgd_momentum_golden_steps_without_first_step_dampening() -> None:
    param, grad = np.array([1.0]), np.array([2.0])
    state = F.sgd_init(param)
    kwargs = {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}
    param, state = F.sgd(param, grad, state, **kwargs)  # b = g = 2 (no dampening yet)
    np.testing.assert_allclose(param, [0.8])
    param, state = F.sgd(param, grad, state, **kwargs)  # b = 0.9·2 + 0.5·2 = 2.8
    np.testing.assert_allclose(state.momentum_buffer, [2.8])
    np.testing.assert_allclose(param, [0.8 - 0.28])


def test_nesterov_golden_step() -> None:
    param, grad = np.array([0.0]), np.array([1.0])
    state = F.sgd_init(param)
    param, state = F.sgd(param, grad, state, lr=1.0, momentum=0.5, nesterov=True)
    np.testing.assert_allclose(param, [-1.5])  # d = g + μ b = 1 + 0.5


def test_adam_first_step_moves_by_lr_times_sign() -> None:
    param, grad = np.array([1.0, 1.0, 1.0]), np.array([3.0, -0.2, 1e-3])
    new, state = F.adam(param, grad, F.adam_init(param), lr=0.1, eps=0.0)
    np.testing.assert_allclose(new, [0.9, 1.1, 0.9], rtol=1e-12)
    assert state.step == 1
    np.testing.assert_allclose(state.exp_avg, 0.1 * grad)
    np.testing.assert_allclose(state.exp_avg_sq, 0.001 * grad**2)


def test_adamw_decays_the_parameter_before_the_adam_step() -> None:
    param, grad = np.array([2.0]), np.array([0.0])
    new, _ = F.adamw(param, grad, F.adam_init(param), lr=0.1, weight_decay=0.5, eps=1e-8)
    np.testing.assert_allclose(new, [2.0 * (1 - 0.05)])


def test_rmsprop_golden_step() -> None:
    param, grad = np.array([1.0]), np.array([2.0])
    new, state = F.rmsprop(param, grad, F.rmsprop_init(param), lr=0.1, alpha=0.75, eps=0.0)
    np.testing.assert_allclose(state.square_avg, [1.0])  # 0.25 · 4
    np.testing.assert_allclose(new, [1.0 - 0.1 * 2.0 / 1.0])


def test_adagrad_golden_steps_with_lr_decay() -> None:
    param, grad = np.array([0.0]), np.array([3.0])
    state = F.adagrad_init(param, initial_accumulator_value=16.0)
    param, state = F.adagrad(param, grad, state, lr=1.0, lr_decay=1.0, eps=0.0)
    np.testing.assert_allclose(param, [-3.0 / 5.0])  # √(16 + 9) = 5
    param, state = F.adagrad(param, grad, state, lr=1.0, lr_decay=1.0, eps=0.0)
    np.testing.assert_allclose(param, [-0.6 - 0.5 * 3.0 / math.sqrt(34.0)])


@pytest.mark.parametrize("name", RULES)
def test_numpy_and_torch_paths_agree(name: str) -> None:
    init, rule, kwargs = RULES[name]
    problem = Problem(seed=5)
    with_numpy = run_rule(problem, init, rule, 100, "numpy", **kwargs)
    with_torch = run_rule(problem, init, rule, 100, "torch", **kwargs)
    assert all(isinstance(p, np.ndarray) for p in with_numpy)
    assert all(isinstance(p, torch.Tensor) for p in with_torch)
    assert relative_error(with_torch, with_numpy) < 1e-12
    assert relative_error(with_numpy, problem.start) > 1e-3


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_rules_are_pure_and_keep_float32(name: str, lib: str) -> None:
    init, rule, kwargs = RULES[name]
    rng = np.random.default_rng(0)
    param, grad = (
        rng.normal(size=(4, 3)).astype(np.float32),
        rng.normal(size=(4, 3)).astype(np.float32),
    )
    if lib == "torch":
        param, grad = torch.from_numpy(param), torch.from_numpy(grad)
    before = (param.copy() if lib == "numpy" else param.clone(), grad * 1)
    state = init(param)
    for _ in range(3):
        new, state = rule(param, grad, state, **kwargs)
    assert new.dtype == param.dtype
    assert type(new) is type(param)
    for field in state:
        if hasattr(field, "dtype") and getattr(field, "ndim", 0) > 0:
            assert field.dtype == param.dtype
    np.testing.assert_array_equal(np.asarray(param), np.asarray(before[0]))
    np.testing.assert_array_equal(np.asarray(grad), np.asarray(before[1]))


def test_mixing_numpy_and_torch_is_refused() -> None:
    param = np.zeros(3)
    with pytest.raises(TypeError, match="one library"):
        F.adam(param, torch.zeros(3), F.adam_init(param))


POPULATION_CASES = {
    "gradient_descent": {"lr": [0.1, 0.0, 0.05]},
    "sgd": {
        "lr": [0.1, 0.2, 0.05],
        "momentum": [0.9, 0.0, 0.5],
        "dampening": [0.1, 0.3, 0.0],
        "weight_decay": [0.0, 0.1, 0.01],
    },
    "rmsprop": {
        "lr": [0.01, 0.02, 0.03],
        "alpha": [0.9, 0.99, 0.3],
        "momentum": [0.0, 0.5, 0.9],
        "eps": [1e-8, 1e-3, 1e-6],
        "centered": True,
    },
    "adam": {
        "lr": [0.01, 0.02, 0.0],
        "betas": ([0.9, 0.5, 0.8], 0.999),
        "amsgrad": True,
        "weight_decay": [0.0, 0.1, 0.2],
    },
    "adamw": {
        "lr": [0.01, 0.02, 0.03],
        "betas": (0.9, [0.999, 0.9, 0.5]),
        "weight_decay": [0.0, 0.1, 0.2],
    },
    "adagrad": {"lr": [0.1, 0.2, 0.3], "lr_decay": [0.0, 0.1, 0.01], "eps": [1e-10, 1e-3, 0.1]},
    "sgd_hd": {"hypergrad_lr": [1e-3, 1e-4, 0.0], "momentum": [0.9, 0.5, 0.0]},
    "adam_hd": {"hypergrad_lr": [1e-4, 1e-6, 0.0], "lr_bounds": (0.0, 0.05)},
}
INIT_LRS = [0.01, 0.02, 0.03]


def _member(kwargs: dict, index: int) -> dict:
    def pick(value):  # noqa: ANN001, ANN202
        if isinstance(value, list):
            return value[index]
        if isinstance(value, tuple) and any(isinstance(v, list) for v in value):
            return tuple(pick(v) for v in value)
        return value

    return {name: pick(value) for name, value in kwargs.items()}


def _as_arrays(kwargs: dict, lib: str) -> dict:
    def convert(value):  # noqa: ANN001, ANN202
        if isinstance(value, list):
            return np.array(value) if lib == "numpy" else torch.tensor(value, dtype=torch.float64)
        if isinstance(value, tuple) and any(isinstance(v, list) for v in value):
            return tuple(convert(v) for v in value)
        return value

    return {name: convert(value) for name, value in kwargs.items()}


@pytest.mark.parametrize("name", POPULATION_CASES)
@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_population_update_equals_per_member_loop(name: str, lib: str) -> None:
    init, rule, _ = RULES[name]
    kwargs = POPULATION_CASES[name]
    rng = np.random.default_rng(1)
    start = rng.normal(size=(3, 4, 2))
    grads = [rng.normal(size=(3, 4, 2)) for _ in range(20)]
    convert = np.asarray if lib == "numpy" else torch.as_tensor
    init_kwargs = {"lr": np.array(INIT_LRS)} if name.endswith("_hd") else {}
    if name == "adagrad":
        init_kwargs = {"initial_accumulator_value": np.array([0.0, 0.5, 1.0])}
    population = convert(start)
    state = init(population, **_as_arrays({k: list(v) for k, v in init_kwargs.items()}, lib))
    for grad in grads:
        population, state = rule(population, convert(grad), state, **_as_arrays(kwargs, lib))
    for index in range(3):
        member = convert(start[index])
        member_init = {k: float(v[index]) for k, v in init_kwargs.items()}
        member_state = init(member, **member_init)
        for grad in grads:
            member, member_state = rule(
                member, convert(grad[index]), member_state, **_member(kwargs, index)
            )
        np.testing.assert_allclose(np.asarray(population[index]), np.asarray(member), rtol=1e-12)
    if name.endswith("_hd"):
        assert tuple(state.lr.shape) == (3,)


@settings(max_examples=30, deadline=None)
@given(
    lrs=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(0.0, 1.0)),
    seed=st.integers(0, 2**16),
)
def test_population_lrs_scale_gradient_descent_per_member(lrs: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    param, grad = rng.normal(size=(len(lrs), 3, 2)), rng.normal(size=(len(lrs), 3, 2))
    new, _ = F.gradient_descent(param, grad, F.gradient_descent_init(param), lr=lrs)
    np.testing.assert_allclose(new, param - lrs[:, None, None] * grad, rtol=1e-15)


def test_a_length_one_population_broadcasts_to_every_member() -> None:
    param, grad = np.ones((4, 2)), np.ones((4, 2))
    new, _ = F.gradient_descent(param, grad, F.gradient_descent_init(param), lr=np.array([0.5]))
    np.testing.assert_array_equal(new, np.full((4, 2), 0.5))


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_state_from_another_dtype_is_cast_to_the_parameter_dtype(lib: str) -> None:
    wide = np.ones((2, 3))
    param, grad = wide.astype(np.float32), np.full((2, 3), 0.5, dtype=np.float32)
    if lib == "torch":
        wide, param, grad = torch.from_numpy(wide), torch.from_numpy(param), torch.from_numpy(grad)
    state = F.adam_init(wide)._replace(step=3)  # e.g. state saved from a float64 run
    new, new_state = F.adam(param, grad, state, lr=0.1, amsgrad=True)
    assert new.dtype == param.dtype
    assert new_state.exp_avg.dtype == new_state.max_exp_avg_sq.dtype == param.dtype
    hd_state = F.sgd_hd_init(wide, lr=0.1)
    new, hd_state = F.sgd_hd(param, grad, hd_state, momentum=0.9)
    assert new.dtype == hd_state.lr.dtype == hd_state.direction.dtype == param.dtype
