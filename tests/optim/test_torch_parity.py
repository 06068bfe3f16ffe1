"""tunesmith.optim classes and functional rules against torch.optim: 200 float64 steps, 1e-10."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch

import tunesmith.optim as ts_optim
from tunesmith.optim import functional as F

from .problems import Problem, relative_error, run_optimizer, run_rule

STEPS = 200
TOLERANCE = 1e-10


def _grid(cycled: dict[str, list] | None = None, **options: list) -> list[dict]:
    """Every combination of ``options``; each ``cycled`` option takes its values in turn."""
    names = list(options)
    combos = [
        dict(zip(names, values, strict=True)) for values in itertools.product(*options.values())
    ]
    for index, combo in enumerate(combos):
        for name, values in (cycled or {}).items():
            combo[name] = values[index % len(values)]
    return combos


SGD_GRID = [
    kw
    for kw in _grid(
        lr=[0.01],
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.3],
        nesterov=[False, True],
        weight_decay=[0.0, 0.01],
        maximize=[False, True],
    )
    if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))
]
RMSPROP_GRID = _grid(
    {"alpha": [0.9, 0.99, 0.3], "eps": [1e-8, 1e-3]},
    lr=[0.01],
    centered=[False, True],
    momentum=[0.0, 0.5],
    weight_decay=[0.0, 0.1],
    maximize=[False, True],
)
ADAM_GRID = _grid(
    {"betas": [(0.9, 0.999), (0.5, 0.9), (0.8, 0.3)], "eps": [1e-8, 1e-3]},
    lr=[0.01],
    weight_decay=[0.0, 0.1],
    amsgrad=[False, True],
    maximize=[False, True],
)
ADAGRAD_GRID = _grid(
    {"eps": [1e-10, 1e-3]},
    lr=[0.1],
    lr_decay=[0.0, 0.01],
    initial_accumulator_value=[0.0, 0.1],
    weight_decay=[0.0, 0.01],
    maximize=[False, True],
)

CASES = (
    [("SGD", kw) for kw in SGD_GRID]
    + [("RMSprop", kw) for kw in RMSPROP_GRID]
    + [("Adam", kw) for kw in ADAM_GRID]
    + [("AdamW", kw) for kw in ADAM_GRID]
    + [("Adagrad", kw) for kw in ADAGRAD_GRID]
)
RULES = {
    "SGD": (F.sgd_init, F.sgd),
    "RMSprop": (F.rmsprop_init, F.rmsprop),
    "Adam": (F.adam_init, F.adam),
    "AdamW": (F.adamw_init, F.adamw),
    "Adagrad": (F.adagrad_init, F.adagrad),
}


def _case_id(case: tuple[str, dict]) -> str:
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k != "lr")


@pytest.fixture(scope="module")
def problem() -> Problem:
    return Problem(seed=3)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_class_and_numpy_rule_match_torch_optim(problem: Problem, case: tuple[str, dict]) -> None:
    name, kwargs = case
    expected, _ = run_optimizer(problem, lambda ps: getattr(torch.optim, name)(ps, **kwargs), STEPS)
    actual, _ = run_optimizer(problem, lambda ps: getattr(ts_optim, name)(ps, **kwargs), STEPS)
    assert relative_error(actual, expected) < TOLERANCE
    init, rule = RULES[name]
    rule_kwargs = dict(kwargs)
    init_kwargs = {}
    if "initial_accumulator_value" in rule_kwargs:
        init_kwargs["initial_accumulator_value"] = rule_kwargs.pop("initial_accumulator_value")
    numpy_params = run_rule(problem, init, rule, STEPS, init_kwargs=init_kwargs, **rule_kwargs)
    assert relative_error(numpy_params, expected) < TOLERANCE
    # the parameters moved: the comparison is not between two copies of the start
    assert relative_error(expected, [torch.tensor(s) for s in problem.start]) > 1e-3


def test_parity_holds_against_torch_foreach_path(problem: Problem) -> None:
    kwargs = {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}
    expected, _ = run_optimizer(
        problem, lambda ps: torch.optim.Adam(ps, foreach=True, **kwargs), STEPS
    )
    actual, _ = run_optimizer(problem, lambda ps: ts_optim.Adam(ps, **kwargs), STEPS)
    assert relative_error(actual, expected) < TOLERANCE


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_complex_parameters_match_torch_optim(name: str) -> None:
    torch.manual_seed(0)
    start = torch.randn(4, 3, dtype=torch.complex128)
    target = torch.randn(4, 3, dtype=torch.complex128)
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.05}
    results = []
    for module in (torch.optim, ts_optim):
        p = start.clone().requires_grad_()
        opt = getattr(module, name)([p], **kwargs)
        for _ in range(50):
            opt.zero_grad()
            (p - target).abs().pow(2).sum().backward()
            opt.step()
        results.append(torch.view_as_real(p.detach()))
    assert relative_error([results[1]], [results[0]]) < TOLERANCE


OPTIMIZERS = {
    "SGD": {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01, "weight_decay": 0.1},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_resuming_from_state_dict_equals_never_stopping(problem: Problem, name: str) -> None:
    make = lambda ps: getattr(ts_optim, name)(ps, **OPTIMIZERS[name])  # noqa: E731
    continuous, _ = run_optimizer(problem, make, 100)
    params, optimizer = run_optimizer(problem, make, 50)
    saved_state = copy.deepcopy(optimizer.state_dict())
    saved_params = [p.detach().clone() for p in params]
    del optimizer
    resumed_params = [p.clone().requires_grad_() for p in saved_params]
    resumed = make(resumed_params)
    resumed.load_state_dict(saved_state)
    assert resumed.state_dict()["param_groups"] == saved_state["param_groups"]
    final, _ = run_optimizer(
        problem, make, 50, params=resumed_params, optimizer=resumed, first_step=50
    )
    assert relative_error(final, continuous) == 0.0


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_torch_optim_state_dict_loads_into_tunesmith(problem: Problem, name: str) -> None:
    kwargs = {k: v for k, v in OPTIMIZERS[name].items() if k != "initial_accumulator_value"}
    continuous, _ = run_optimizer(problem, lambda ps: getattr(torch.optim, name)(ps, **kwargs), 60)
    params, theirs = run_optimizer(problem, lambda ps: getattr(torch.optim, name)(ps, **kwargs), 30)
    ours = getattr(ts_optim, name)(params, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    final, _ = run_optimizer(problem, None, 30, params=params, optimizer=ours, first_step=30)
    assert relative_error(final, continuous) < TOLERANCE


@pytest.mark.parametrize(
    "scheduler",
    [
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50, eta_min=1e-4),
    ],
    ids=["StepLR", "CosineAnnealingLR"],
)
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_lr_schedulers_drive_tunesmith_like_torch(problem: Problem, scheduler, name: str) -> None:
    kwargs = OPTIMIZERS[name]
    runs = []
    for module in (torch.optim, ts_optim):
        lrs: list[float] = []
        params = problem.torch_params()
        optimizer = getattr(module, name)(params, **kwargs)
        schedule = scheduler(optimizer)

        def record(opt, lrs=lrs, schedule=schedule) -> None:
            lrs.append(opt.param_groups[0]["lr"])
            schedule.step()

        final, _ = run_optimizer(problem, None, 120, params, optimizer, on_step=record)
        runs.append((final, lrs))
    (expected, expected_lrs), (actual, actual_lrs) = runs
    assert actual_lrs == expected_lrs
    assert len(set(actual_lrs)) > 3
    assert relative_error(actual, expected) < TOLERANCE


def test_step_lr_scales_a_population_of_learning_rates() -> None:
    param = torch.zeros(3, 2, requires_grad=True)
    optimizer = ts_optim.SGD([param], lr=[0.1, 0.2, 0.4])
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(2):
        param.grad = torch.ones(3, 2)
        optimizer.step()
        schedule.step()
    # two steps: lr then lr / 2, each moving every coordinate by -lr
    np.testing.assert_allclose(param.detach()[:, 0], [-0.15, -0.3, -0.6], rtol=1e-6)
    np.testing.assert_allclose(optimizer.param_groups[0]["lr"], [0.025, 0.05, 0.1])


def test_param_groups_closure_and_zero_grad() -> None:
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    optimizer = ts_optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (a * a).sum() + (b * b).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert float(loss.detach()) == 4.0
    torch.testing.assert_close(a.detach(), torch.full((2,), 0.8))  # 1 - 0.1 * 2
    torch.testing.assert_close(b.detach(), torch.zeros(2))  # 1 - 0.5 * 2
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None
    optimizer.step()  # no gradients: nothing moves
    torch.testing.assert_close(a.detach(), torch.full((2,), 0.8))
