"""Hypergradient descent lowers a too-large learning rate (Baydin et al. 2018, eq. for h_t)."""

from __future__ import annotations

import pytest
import torch

import tunesmith.optim as ts_optim

CURVATURE = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)  # SGD diverges for lr > 0.5
START = [1.0, -1.0, 0.5]


def _run(optimizer_class: type, steps: int, **kwargs) -> tuple[list[float], float]:
    """Learning rates after each step and the final loss on f(x) = ½ Σ cᵢ xᵢ²."""
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([x], **kwargs)
    rates = []
    for _ in range(steps):
        optimizer.zero_grad()
        x.grad = CURVATURE * x.detach()
        optimizer.step()
        rates.append(float(optimizer.param_groups[0]["lr"]))
    return rates, float(0.5 * (CURVATURE * x.detach() ** 2).sum())


def test_sgd_hd_first_update_follows_the_sign_of_successive_gradients() -> None:
    # g₁ = (1, −2, 2), x₁ = x₀ − 0.6 g₁ = (0.4, 0.2, −0.7), g₂ = (0.4, 0.4, −2.8): g₂·g₁ = −6,
    # so the overshooting rate drops to 0.6 + β (−6).
    rates, _ = _run(ts_optim.SGDHD, 2, lr=0.6, hypergrad_lr=0.01)
    assert rates == pytest.approx([0.6, 0.54], rel=1e-12)


def test_sgd_hd_brings_a_diverging_rate_below_the_stability_limit() -> None:
    _, diverged = _run(ts_optim.SGD, 100, lr=0.6)
    rates, loss = _run(ts_optim.SGDHD, 100, lr=0.6)  # the default hypergrad_lr
    assert diverged > 1e20
    assert rates[-1] < 0.5
    assert loss < 1e-20


@pytest.mark.parametrize("lr_bounds", [None, (0.0, 2.0)])
def test_adam_hd_lowers_a_too_large_rate(lr_bounds) -> None:
    rates, loss = _run(ts_optim.AdamHD, 100, lr=1.0, hypergrad_lr=0.1, lr_bounds=lr_bounds)
    assert rates[1] < rates[0] == 1.0
    assert rates[-1] < 0.7
    assert loss < 1e-4


def test_adam_hd_default_moves_a_small_rate_up_within_a_few_hundred_steps() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    inputs = torch.randn(256, 8)
    targets = inputs.sum(1, keepdim=True).sin()
    optimizer = ts_optim.AdamHD(model.parameters(), lr=1e-4)
    for _ in range(300):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        optimizer.step()
    assert optimizer.param_groups[0]["lr"] > 3e-4
