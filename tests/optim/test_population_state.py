"""Per-member hyperparameters: weights_only state dict round trips and torch's lr schedulers."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch

import tunesmith.optim as ts_optim

ALL = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "SGDHD", "AdamHD"]
RATES = [0.01, 0.02, 0.04]
FORMS = {
    "list": lambda rates: list(rates),
    "numpy": lambda rates: np.array(rates),
    "tensor": lambda rates: torch.tensor(rates, dtype=torch.float64),
}
TARGET = torch.linspace(-1.0, 1.0, 3 * 4, dtype=torch.float64).reshape(3, 4)


def _make(name: str, lr, param: torch.Tensor) -> torch.optim.Optimizer:
    extra = {"betas": (np.array([0.9, 0.8, 0.7]), 0.999)} if "Adam" in name else {}
    return getattr(ts_optim, name)([param], lr=lr, **extra)


def _train(optimizer: torch.optim.Optimizer, param: torch.Tensor, steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        param.grad = param.detach() - TARGET
        optimizer.step()


def _holds_numpy(value) -> bool:
    if isinstance(value, dict):
        return any(_holds_numpy(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_numpy(v) for v in value)
    return isinstance(value, np.ndarray | np.generic)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trips_through_weights_only_load(name: str, form: str) -> None:
    param = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    optimizer = _make(name, FORMS[form](RATES), param)
    torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)  # adds initial_lr
    _train(optimizer, param, 5)
    state = optimizer.state_dict()
    assert not _holds_numpy(state)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    resumed_param = param.detach().clone().requires_grad_()
    resumed = _make(name, RATES, resumed_param)
    resumed.load_state_dict(loaded)
    continued = copy.deepcopy(optimizer)
    continued_param = continued.param_groups[0]["params"][0]
    _train(continued, continued_param, 5)
    _train(resumed, resumed_param, 5)
    assert torch.equal(resumed_param, continued_param)
    np.testing.assert_array_equal(resumed.param_groups[0]["lr"], continued.param_groups[0]["lr"])
    assert isinstance(resumed.param_groups[0]["lr"], np.ndarray)
    assert isinstance(resumed.param_groups[0]["initial_lr"], np.ndarray)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ALL)
def test_step_lr_scales_every_member(name: str, form: str) -> None:
    param = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(ts_optim, name)([param], lr=FORMS[form](RATES))
    if name.endswith("HD"):
        optimizer.param_groups[0]["hypergrad_lr"] = 0.0
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    for epoch in range(1, 8):
        _train(optimizer, param, 1)
        scheduler.step()
        expected = np.array(RATES) * 0.1 ** (epoch // 3)
        np.testing.assert_allclose(optimizer.param_groups[0]["lr"], expected, rtol=1e-12)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ALL)
def test_exponential_lr_scales_every_member(name: str, form: str) -> None:
    param = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(ts_optim, name)([param], lr=FORMS[form](RATES))
    if name.endswith("HD"):
        optimizer.param_groups[0]["hypergrad_lr"] = 0.0
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for epoch in range(1, 6):
        _train(optimizer, param, 1)
        scheduler.step()
        expected = np.array(RATES) * 0.9**epoch
        np.testing.assert_allclose(optimizer.param_groups[0]["lr"], expected, rtol=1e-12)
        np.testing.assert_allclose(scheduler.get_last_lr()[0], expected, rtol=1e-12)


def test_a_scheduled_member_steps_like_a_scheduled_single_optimizer() -> None:
    param = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    optimizer = ts_optim.SGD([param], lr=torch.tensor(RATES, dtype=torch.float64), momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    singles = [torch.zeros(4, dtype=torch.float64, requires_grad=True) for _ in RATES]
    references = [torch.optim.SGD([s], lr=r, momentum=0.9) for s, r in zip(singles, RATES)]
    schedulers = [torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5) for o in references]
    for _ in range(6):
        _train(optimizer, param, 1)
        scheduler.step()
        for i, (single, reference) in enumerate(zip(singles, references, strict=True)):
            reference.zero_grad()
            single.grad = single.detach() - TARGET[i]
            reference.step()
            schedulers[i].step()
    for i, single in enumerate(singles):
        torch.testing.assert_close(param.detach()[i], single.detach(), rtol=1e-12, atol=0)
