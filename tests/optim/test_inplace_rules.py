"""The in-place population rules compute what the pure functional rules compute."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tunesmith.optim import functional as F  # noqa: E402
from tunesmith.optim import inplace as inplace  # noqa: E402

MEMBERS, SIZE, STEPS = 4, 9, 6


def _both(values: dict) -> tuple[dict, dict]:
    """Keyword arguments for the pure rule ((P,) arrays) and the in-place one ((P, 1) columns)
    from per-member lists; a float goes to both as it is."""
    each = lambda v: torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v  # noqa: E731
    pure = {k: each(v) for k, v in values.items()}
    columns = {k: v.unsqueeze(1) if isinstance(v, torch.Tensor) else v for k, v in pure.items()}
    return pure, columns


def _run(init, pure, in_place, values: dict, **inplace_only) -> None:
    pure_kwargs, inplace_kwargs = _both(values)
    if "beta1" in pure_kwargs:  # the pure rules take Adam's betas as a pair
        pure_kwargs["betas"] = (pure_kwargs.pop("beta1"), pure_kwargs.pop("beta2"))
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(MEMBERS, SIZE, generator=generator, dtype=torch.float64)
    grads = [
        torch.randn(MEMBERS, SIZE, generator=generator, dtype=torch.float64) for _ in range(STEPS)
    ]
    param, state = start.clone(), init(start)
    fast, fast_state = start.clone(), init(start)
    for grad in grads:
        param, state = pure(param, grad, state, **pure_kwargs)
        delta, fast_state = in_place(
            fast, grad.clone(), fast_state, **inplace_kwargs, **inplace_only
        )
        fast += delta
        torch.testing.assert_close(fast, param, rtol=1e-12, atol=1e-14)


LR = [0.1, 0.01, 0.3, 0.05]
DECAY = [0.0, 1e-2, 1e-3, 0.1]


@pytest.mark.parametrize("momentum", [0.0, [0.9, 0.0, 0.5, 0.99]])
def test_sgd(momentum) -> None:
    values = {"lr": LR, "momentum": momentum, "weight_decay": DECAY}
    _run(F.sgd_init, F.sgd, inplace.sgd_step_, values)


@pytest.mark.parametrize("momentum", [0.0, [0.9, 0.0, 0.5, 0.2]])
def test_rmsprop(momentum) -> None:
    values = {
        "lr": LR,
        "alpha": [0.99, 0.9, 0.5, 0.95],
        "eps": 1e-8,
        "weight_decay": DECAY,
        "momentum": momentum,
    }
    _run(F.rmsprop_init, F.rmsprop, inplace.rmsprop_step_, values)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw(decoupled) -> None:
    values = {
        "lr": LR,
        "beta1": [0.9, 0.8, 0.0, 0.95],
        "beta2": [0.999, 0.99, 0.9, 0.5],
        "eps": [1e-8, 1e-6, 1e-3, 0.0],
        "weight_decay": DECAY,
    }
    pure = F.adamw if decoupled else F.adam
    _run(F.adam_init, pure, inplace.adam_step_, values, decoupled=decoupled)


def test_shared_values_as_floats_match_too() -> None:
    values = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-3}
    _run(F.adam_init, F.adam, inplace.adam_step_, values, decoupled=False)
