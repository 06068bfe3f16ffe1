"""Shapes trained together in lockstep: each member as its shape alone, each rule as in place."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from tunesmith import population as pop
from tunesmith.optim import functional as F
from tunesmith.optim import inplace
from tunesmith.population.data import TrainingData
from tunesmith.population.optimizers import RULE_ORDER, OptimizerGroup, build_groups, step_groups
from tunesmith.population.planner import Planner

torch.set_num_threads(1)

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")
SHAPES = [(4, 1), (8, 1), (4, 2), (8, 2)]  # width x depth


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return (x[:160] / 16.0).astype(np.float32), y[:160]


def mixed_configs() -> list[dict]:
    """Every optimizer in every shape, with dropout, weight decay, L1 and L2 in turn."""
    out = []
    for i in range(26):  # groups of one and two members
        width, depth = SHAPES[i % len(SHAPES)]
        out.append(
            {
                "optimizer": OPTIMIZERS[i % len(OPTIMIZERS)],
                "lr": 10 ** (-2.5 + (i % 7) / 6),
                "weight_decay": 1e-3 * (i % 3),
                "dropout": 0.2 * (i % 2),
                "l1": 1e-4 * (i % 4 == 1),
                "l2": 1e-3 * (i % 4 == 3),
                "width": width,
                "depth": depth,
            }
        )
    return out


def test_shapes_trained_together_equal_each_shape_trained_alone(digits) -> None:
    x, y = digits
    model, configs = pop.MLP(hidden=(8,)), mixed_configs()
    options = {"epochs": 3, "batch_size": 32, "seed": 4, "schedule": "cosine"}
    data = TrainingData(model, x, y, None, None, 32, 4, torch.device("cpu"))
    planner = Planner(model, data, configs, 1 << 30, pop.TrainingOptions(**options))
    assert planner.lockstep(planner.chunks())  # the population trains as one lockstep
    together = pop.train(model, x, y, configs, **options)
    for width, depth in SHAPES:
        mine = [i for i, c in enumerate(configs) if (c["width"], c["depth"]) == (width, depth)]
        alone = pop.train(model, x, y, [configs[i] for i in mine], **options)
        for index, solo in zip(mine, alone):
            member = together[index]
            assert member.failed == solo.failed and member.epochs == solo.epochs == 3
            assert member.accuracy == pytest.approx(solo.accuracy, abs=1 / 60)
            np.testing.assert_allclose(member.loss_curve, solo.loss_curve, rtol=1e-4, atol=1e-6)
            assert set(member.weights) == set(solo.weights)
            for name, value in solo.weights.items():
                np.testing.assert_allclose(member.weights[name], value, rtol=1e-4, atol=1e-5)


def test_patience_and_a_single_shape_train_chunk_by_chunk(digits) -> None:
    x, y = digits
    model, configs = pop.MLP(hidden=(8,)), mixed_configs()
    data = TrainingData(model, x, y, None, None, 32, 0, torch.device("cpu"))
    patience = Planner(
        model, data, configs, 1 << 30, pop.TrainingOptions(early_stopping="patience")
    )
    assert not patience.lockstep(patience.chunks())
    one_shape = Planner(model, data, configs[:1], 1 << 30)
    assert not one_shape.lockstep(one_shape.chunks())
    tight = Planner(model, data, configs, 1)  # nothing fits at once
    assert not tight.lockstep([(a, m[:1]) for a, m in tight.groups])


def _inplace_kwargs(rule: str, hyper: dict) -> dict:
    """The in-place rule's keywords: (P, 1) columns, or 0.0 where every member's value is 0."""
    out = {k: (v.unsqueeze(1) if bool(v.any()) else 0.0) for k, v in hyper.items()}
    return dict(out, decoupled=rule == "adamw") if rule.startswith("adam") else out


_INPLACE = {
    "sgd": inplace.sgd_step_,
    "momentum": inplace.sgd_step_,
    "rmsprop": inplace.rmsprop_step_,
    "adam": inplace.adam_step_,
    "adamw": inplace.adam_step_,
}
_INIT = {"sgd": F.sgd_init, "momentum": F.sgd_init, "rmsprop": F.rmsprop_init}


@pytest.mark.parametrize("rule", RULE_ORDER)
def test_multi_tensor_rules_equal_the_in_place_rules(rule) -> None:
    generator = torch.Generator().manual_seed(1)
    hypers = [
        {
            "optimizer": rule,
            "lr": 0.01 * (1 + i),
            "momentum": 0.5 * (i % 2) if rule in ("momentum", "rmsprop") else 0.0,
            "weight_decay": 0.01 * (i % 3),
            "alpha": 0.9,
            "eps": 1e-8,
            "beta1": 0.8 + 0.05 * i,
            "beta2": 0.99,
        }
        for i in range(4)
    ]
    shapes = ((2, 5), (4, 12), (3, 7))  # three shapes' groups (members, row length), together
    flats = [torch.randn(*s, generator=generator, dtype=torch.float64) for s in shapes]
    groups = [build_groups(f, hypers[: len(f)], torch.device("cpu"))[0] for f in flats]
    reference = [(f.clone(), _INIT.get(rule, F.adam_init)(f.clone())) for f in flats]
    for _ in range(4):
        grads = [torch.randn(*s, generator=generator, dtype=torch.float64) for s in shapes]
        steps = [grad.clone() for grad in grads]
        step_groups(list(zip(groups, flats, steps)))
        for flat, delta in zip(flats, steps):
            flat += delta
        for k, (group, grad) in enumerate(zip(groups, grads)):
            param, state = reference[k]
            kwargs = _inplace_kwargs(rule, group.hyper)
            delta, state = _INPLACE[rule](param, grad.clone(), state, **kwargs)
            reference[k] = (param + delta, state)
        for flat, (param, _) in zip(flats, reference):
            torch.testing.assert_close(flat, param, rtol=0, atol=0)


def test_no_optimizer_state_outlives_training(digits) -> None:
    x, y = digits
    configs = [{"optimizer": "adam", "width": 4}, {"optimizer": "adamw", "width": 8}]
    pop.train(pop.MLP(hidden=(4,)), x, y, configs, epochs=1)
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is OptimizerGroup]
