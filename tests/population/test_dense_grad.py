"""Hand-written dense gradients equal autograd's for every model and activation they cover."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tunesmith import population as pop  # noqa: E402
from tunesmith.population.dense_grad import dense_step, supports_manual_gradients  # noqa: E402
from tunesmith.population.engine import _loss  # noqa: E402
from tunesmith.population.layers import Dropout  # noqa: E402

MEMBERS, BATCH, FEATURES = 5, 11, 7


def _weights(model: pop.Model, n_outputs: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    specs = model.params((FEATURES,), n_outputs)
    return {
        s.name: torch.randn((MEMBERS, *s.shape), generator=generator, dtype=torch.float64)
        for s in specs
    }


CASES = [
    (pop.MLP(hidden=(6, 4)), 3),
    (pop.MLP(hidden=(5,), activation="tanh"), 4),
    (pop.MLP(hidden=(4, 4), activation="sigmoid"), 2),
    (pop.MLP(hidden=(3,), task="regression"), 2),
    (pop.Logistic(), 2),
    (pop.Logistic(), 3),
    (pop.Linear(), 2),
]


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("model,classes", CASES, ids=lambda c: repr(c))
def test_dense_step_gradients_equal_autograd(model, classes, dropout) -> None:
    assert supports_manual_gradients(model)
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(BATCH, FEATURES, generator=generator, dtype=torch.float64)
    n_outputs = model.n_outputs(classes)
    if model.task == "regression":
        y = torch.randn(BATCH, n_outputs, generator=generator, dtype=torch.float64)
    else:
        y = torch.randint(0, classes, (BATCH,), generator=generator)
    rates = torch.tensor([0.0, 0.1, 0.3, 0.5, 0.0], dtype=torch.float64)
    use_dropout = dropout and model.has_hidden

    def noise() -> Dropout | None:
        return Dropout(rates, torch.Generator().manual_seed(3)) if use_dropout else None

    weights = _weights(model, n_outputs)
    leaves = {k: w.clone().requires_grad_(True) for k, w in weights.items()}
    expected_loss = _loss(model.task, model.forward(leaves, x, noise()), y)
    expected = torch.autograd.grad(expected_loss.sum(), list(leaves.values()))

    grads = {k: torch.full_like(w, float("nan")) for k, w in weights.items()}
    loss = dense_step(model, weights, grads, x, y, noise())
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-12)
    for (name, got), want in zip(grads.items(), expected):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12, msg=name)


@pytest.mark.parametrize(
    "model", [pop.MLP(activation="gelu"), pop.MLP(activation="silu"), pop.CNN()], ids=repr
)
def test_other_models_go_through_autograd(model) -> None:
    assert not supports_manual_gradients(model)


def test_dropout_mask_per_distinct_rate_equals_the_mask_per_member() -> None:
    """Members sharing a rate share one computed mask: the numbers are those of a mask
    computed member by member (each member's mask depends on its rate and the seed only)."""
    rates = torch.tensor([0.0, 0.1, 0.5, 0.1, 0.0, 0.5, 0.5, 0.1], dtype=torch.float32)
    like = torch.empty(0)
    for seed in range(3):
        shared = Dropout(rates, torch.Generator().manual_seed(seed))
        per_member = Dropout(rates, torch.Generator().manual_seed(seed))
        per_member.shared = False
        assert shared.shared  # 3 distinct rates among 8 members
        got, want = shared.mask((16, 32), like), per_member.mask((16, 32), like)
        assert torch.equal(got, want)
        assert torch.equal(got[0], torch.ones(16, 32))  # rate 0 keeps every unit, scale 1
        assert abs(float((got[2] > 0).float().mean()) - 0.5) < 0.1
        assert torch.equal(got[2][got[2] > 0], torch.full_like(got[2][got[2] > 0], 2.0))
