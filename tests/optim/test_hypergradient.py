"""Hypergradient descent (Baydin et al. 2018): SGDHD and AdamHD adapt their learning rate."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import tunesmith.optim as ts_optim
from tunesmith.optim import functional as F

from .problems import Problem, relative_error, run_optimizer

CURVATURES = torch.linspace(1.0, 2.0, 10, dtype=torch.float64)


def _quadratic_lrs(optimizer_class: type, steps: int, **kwargs) -> tuple[list[float], float]:
    """Run on f(x) = ½ Σ hᵢ xᵢ² (h in [1, 2]) from x = 1; return the lr per step and final f."""
    x = torch.ones(10, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([x], **kwargs)
    lrs = []
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * (CURVATURES * x * x).sum()).backward()
        optimizer.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs, float(0.5 * (CURVATURES * x.detach() ** 2).sum())


def test_sgdhd_raises_a_learning_rate_that_is_too_small() -> None:
    lrs, final = _quadratic_lrs(ts_optim.SGDHD, 30, lr=1e-3, hypergrad_lr=1e-3)
    assert all(isinstance(lr, float) for lr in lrs)
    assert lrs[-1] > 50 * 1e-3
    assert all(b >= a for a, b in zip(lrs, lrs[1:], strict=False))  # g·d_prev > 0 going downhill
    _, plain_final = _quadratic_lrs(ts_optim.SGD, 30, lr=1e-3)
    assert final < 0.1 * plain_final


def test_sgdhd_lowers_a_learning_rate_that_is_too_large() -> None:
    # lr = 1.3 overshoots every coordinate (h ≥ 1 makes 1 − lr·h < 0): g·d_prev < 0
    lrs, final = _quadratic_lrs(ts_optim.SGDHD, 20, lr=1.3, hypergrad_lr=1e-2)
    assert lrs[0] == 1.3  # the first step has no previous direction
    assert lrs[-1] < 1.0
    assert final < 1e-3


def test_adamhd_raises_too_small_and_lowers_too_large_learning_rates() -> None:
    small, _ = _quadratic_lrs(ts_optim.AdamHD, 50, lr=1e-4, hypergrad_lr=1e-3)
    assert small[-1] > 10 * 1e-4
    # Adam's steps are about lr per coordinate: lr = 2 from x = 1 overshoots the minimum
    large, _ = _quadratic_lrs(ts_optim.AdamHD, 100, lr=2.0, hypergrad_lr=0.1)
    assert large[-1] < 1.0


def test_lr_bounds_clamp_the_learning_rate_every_step() -> None:
    lrs, _ = _quadratic_lrs(ts_optim.SGDHD, 30, lr=1e-3, hypergrad_lr=1e-2, lr_bounds=(1e-4, 0.02))
    assert max(lrs) == pytest.approx(0.02)
    assert all(1e-4 <= lr <= 0.02 for lr in lrs)
    lrs, _ = _quadratic_lrs(ts_optim.AdamHD, 50, lr=0.5, hypergrad_lr=1.0, lr_bounds=(0.3, 1.0))
    assert min(lrs) == pytest.approx(0.3)


HD_CASES = [
    (
        ts_optim.SGDHD,
        F.sgd_hd_init,
        F.sgd_hd,
        {"hypergrad_lr": 1e-8, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    ),
    (
        ts_optim.SGDHD,
        F.sgd_hd_init,
        F.sgd_hd,
        {"hypergrad_lr": 1e-11, "momentum": 0.5, "dampening": 0.2, "maximize": True},
    ),
    (
        ts_optim.AdamHD,
        F.adam_hd_init,
        F.adam_hd,
        {"hypergrad_lr": 1e-5, "weight_decay": 0.1, "amsgrad": True},
    ),
    (
        ts_optim.AdamHD,
        F.adam_hd_init,
        F.adam_hd,
        {
            "hypergrad_lr": 1e-5,
            "weight_decay": 0.1,
            "decoupled_weight_decay": True,
            "lr_bounds": (0.0, 0.012),
        },
    ),
]


@pytest.mark.parametrize(
    "case", HD_CASES, ids=["sgdhd-nesterov", "sgdhd-maximize", "adamhd-amsgrad", "adamhd-decoupled"]
)
def test_torch_classes_follow_the_functional_rules(case: tuple) -> None:
    optimizer_class, init, rule, kwargs = case
    problem = Problem(seed=7)
    lrs: list[float] = []
    params, optimizer = run_optimizer(
        problem,
        lambda ps: optimizer_class(ps[:1], lr=0.01, **kwargs),
        150,
        on_step=lambda opt: lrs.append(opt.param_groups[0]["lr"]),
    )
    param = problem.start[0].copy()
    state = init(param, lr=0.01)
    rule_lrs = []
    for step in range(150):
        param, state = rule(
            param, problem.grads([param, problem.start[1]], step)[0], state, **kwargs
        )
        rule_lrs.append(float(state.lr))
    assert relative_error(params[:1], [param]) < 1e-10
    np.testing.assert_allclose(lrs, rule_lrs, rtol=1e-10)
    assert max(lrs) > 0.01 * (1 + 1e-3) or min(lrs) < 0.01 * (1 - 1e-3)  # the lr did move


@pytest.mark.parametrize(
    ("hd_class", "base_class", "kwargs"),
    [
        (ts_optim.SGDHD, torch.optim.SGD, {"momentum": 0.9, "weight_decay": 0.01}),
        (ts_optim.AdamHD, torch.optim.Adam, {"amsgrad": True, "weight_decay": 0.01}),
    ],
)
def test_zero_hypergrad_lr_reduces_to_the_base_rule(hd_class, base_class, kwargs) -> None:
    problem = Problem(seed=2)
    expected, _ = run_optimizer(problem, lambda ps: base_class(ps, lr=0.01, **kwargs), 100)
    actual, _ = run_optimizer(
        problem, lambda ps: hd_class(ps, lr=0.01, hypergrad_lr=0.0, **kwargs), 100
    )
    assert relative_error(actual, expected) < 1e-10


@pytest.mark.parametrize("hd_class", [ts_optim.SGDHD, ts_optim.AdamHD])
def test_population_learning_rates_adapt_per_member(hd_class: type) -> None:
    rng = np.random.default_rng(0)
    start, target = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    initial, hypergrad = [1e-3, 1e-2, 3e-2], [1e-3, 1e-4, 0.0]
    batched = torch.tensor(start, requires_grad=True)
    optimizer = hd_class([batched], lr=np.array(initial), hypergrad_lr=np.array(hypergrad))
    for _ in range(30):
        batched.grad = batched.detach() - torch.tensor(target)
        optimizer.step()
    for i in range(3):
        member = torch.tensor(start[i], requires_grad=True)
        single = hd_class([member], lr=initial[i], hypergrad_lr=hypergrad[i])
        for _ in range(30):
            member.grad = member.detach() - torch.tensor(target[i])
            single.step()
        torch.testing.assert_close(batched.detach()[i], member.detach(), rtol=1e-12, atol=0)
        assert optimizer.param_groups[0]["lr"][i] == pytest.approx(single.param_groups[0]["lr"])
    assert optimizer.param_groups[0]["lr"][2] == 3e-2  # hypergrad_lr 0 leaves it alone


@pytest.mark.parametrize("hd_class", [ts_optim.SGDHD, ts_optim.AdamHD])
def test_hypergradient_state_dict_resume_equals_continuous(hd_class: type) -> None:
    problem = Problem(seed=4)
    make = lambda ps: hd_class(ps, lr=0.01, hypergrad_lr=1e-7)  # noqa: E731
    continuous, continuous_opt = run_optimizer(problem, make, 80)
    params, optimizer = run_optimizer(problem, make, 40)
    saved = copy.deepcopy(optimizer.state_dict())
    resumed_params = [p.detach().clone().requires_grad_() for p in params]
    resumed = make(resumed_params)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] != 0.01
    final, resumed = run_optimizer(problem, make, 40, resumed_params, resumed, first_step=40)
    assert relative_error(final, continuous) == 0.0
    assert resumed.param_groups[0]["lr"] == continuous_opt.param_groups[0]["lr"]
