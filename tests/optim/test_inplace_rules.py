"""The in-place population rules compute what the pure functional rules compute."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tunesmith.optim import _rules_inplace as inplace  # noqa: E402
from tunesmith.optim import functional as F  # noqa: E402

MEMBERS, SIZE, STEPS = 4, 9, 6


def _column(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).unsqueeze(1)


def _run(init, pure, in_place, pure_kwargs: dict, inplace_kwargs: dict) -> None:
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(MEMBERS, SIZE, generator=generator, dtype=torch.float64)
    grads = [
        torch.randn(MEMBERS, SIZE, generator=generator, dtype=torch.float64) for _ in range(STEPS)
    ]
    param, state = start.clone(), init(start)
    fast, fast_state = start.clone(), init(start)
    for grad in grads:
        param, state = pure(param, grad, state, **pure_kwargs)
        delta, fast_state = in_place(fast, grad.clone(), fast_state, **inplace_kwargs)
        fast += delta
        torch.testing.assert_close(fast, param, rtol=1e-12, atol=1e-14)


LR = [0.1, 0.01, 0.3, 0.05]
DECAY = [0.0, 1e-2, 1e-3, 0.1]


@pytest.mark.parametrize("momentum", [0.0, [0.9, 0.0, 0.5, 0.99]])
def test_sgd(momentum) -> None:
    column = momentum if momentum == 0.0 else _column(momentum)
    each = momentum if momentum == 0.0 else torch.tensor(momentum, dtype=torch.float64)
    _run(
        F.sgd_init,
        F.sgd,
        inplace.sgd_step_,
        {
            "lr": torch.tensor(LR, dtype=torch.float64),
            "momentum": each,
            "weight_decay": torch.tensor(DECAY, dtype=torch.float64),
        },
        {"lr": _column(LR), "momentum": column, "weight_decay": _column(DECAY)},
    )


@pytest.mark.parametrize("momentum", [0.0, [0.9, 0.0, 0.5, 0.2]])
def test_rmsprop(momentum) -> None:
    alpha = [0.99, 0.9, 0.5, 0.95]
    column = momentum if momentum == 0.0 else _column(momentum)
    each = momentum if momentum == 0.0 else torch.tensor(momentum, dtype=torch.float64)
    _run(
        F.rmsprop_init,
        F.rmsprop,
        inplace.rmsprop_step_,
        {
            "lr": torch.tensor(LR, dtype=torch.float64),
            "alpha": torch.tensor(alpha, dtype=torch.float64),
            "eps": 1e-8,
            "weight_decay": torch.tensor(DECAY, dtype=torch.float64),
            "momentum": each,
        },
        {
            "lr": _column(LR),
            "alpha": _column(alpha),
            "eps": 1e-8,
            "weight_decay": _column(DECAY),
            "momentum": column,
        },
    )


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw(decoupled) -> None:
    beta1, beta2, eps = [0.9, 0.8, 0.0, 0.95], [0.999, 0.99, 0.9, 0.5], [1e-8, 1e-6, 1e-3, 0.0]
    as_tensor = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    _run(
        F.adam_init,
        F.adamw if decoupled else F.adam,
        inplace.adam_step_,
        {
            "lr": as_tensor(LR),
            "betas": (as_tensor(beta1), as_tensor(beta2)),
            "eps": as_tensor(eps),
            "weight_decay": as_tensor(DECAY),
        },
        {
            "lr": _column(LR),
            "beta1": _column(beta1),
            "beta2": _column(beta2),
            "eps": _column(eps),
            "weight_decay": _column(DECAY),
            "decoupled": decoupled,
        },
    )


def test_shared_values_as_floats_match_too() -> None:
    _run(
        F.adam_init,
        F.adam,
        inplace.adam_step_,
        {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-3},
        {
            "lr": 1e-2,
            "beta1": 0.9,
            "beta2": 0.999,
            "eps": 1e-8,
            "weight_decay": 1e-3,
            "decoupled": False,
        },
    )
