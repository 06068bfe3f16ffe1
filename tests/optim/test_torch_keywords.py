"""tunesmith.optim's classes take every keyword of torch.optim's and match it under each switch."""

from __future__ import annotations

import inspect

import pytest
import torch

import tunesmith.optim as ts_optim

from .problems import Problem, relative_error, run_optimizer

DROP_INS = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"]
HYPERGRADIENT_BASES = {"SGDHD": "SGD", "AdamHD": "Adam"}
SETTINGS = {
    "SGD": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
    "AdamW": {"lr": 0.01, "weight_decay": 0.1},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01},
}


def _parameters(cls: type) -> list[tuple[str, object, object]]:
    """(name, kind, default) of every constructor parameter after ``params``."""
    signature = inspect.signature(cls.__init__)
    return [
        (p.name, p.kind, p.default)
        for p in signature.parameters.values()
        if p.name not in ("self", "params")
    ]


@pytest.mark.parametrize("name", DROP_INS)
def test_constructor_matches_torch_signature(name: str) -> None:
    # A keyword a future torch adds shows up here as a difference.
    assert _parameters(getattr(ts_optim, name)) == _parameters(getattr(torch.optim, name))


@pytest.mark.parametrize(("name", "base"), HYPERGRADIENT_BASES.items())
def test_hypergradient_classes_take_every_keyword_of_their_base(name: str, base: str) -> None:
    ours = {p[0] for p in _parameters(getattr(ts_optim, name))}
    theirs = {p[0] for p in _parameters(getattr(torch.optim, base))}
    assert theirs - ours == set()
    assert {"hypergrad_lr", "lr_bounds"} <= ours


def _switch_settings(name: str) -> list[dict]:
    accepted = {p[0] for p in _parameters(getattr(torch.optim, name))}
    settings = [{"foreach": True}, {"foreach": False}]
    if "fused" in accepted:
        settings.append({"fused": True})
    return settings


@pytest.mark.parametrize(
    ("name", "switch"), [(n, s) for n in DROP_INS for s in _switch_settings(n)]
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_results_match_torch_under_each_switch(name: str, switch: dict, dtype) -> None:
    problem = Problem(seed=3)
    kwargs = {**SETTINGS[name], **switch}
    start = problem.torch_params(dtype)
    ours, optimizer = run_optimizer(
        problem, lambda ps: getattr(ts_optim, name)(ps, **kwargs), 20, params=start
    )
    theirs, _ = run_optimizer(
        problem, lambda ps: getattr(torch.optim, name)(ps, **kwargs), 20, params=None
    )
    theirs = [t.to(dtype) for t in theirs] if dtype == torch.float32 else theirs
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    for a, b in zip(ours, theirs, strict=True):
        assert torch.allclose(a.detach().double(), b.detach().double(), rtol=tolerance, atol=0)
    assert relative_error(ours, problem.start) > 1e-3  # the parameters did move
    for key, value in switch.items():
        assert optimizer.param_groups[0][key] == value


@pytest.mark.parametrize("name", ["RMSprop", "Adam", "AdamW", "AdamHD"])
def test_capturable_is_accepted_and_changes_nothing_on_the_cpu(name: str) -> None:
    # torch.optim refuses capturable=True for CPU tensors; tunesmith's step is the same either way.
    problem = Problem(seed=5)
    cls = getattr(ts_optim, name)
    plain, _ = run_optimizer(problem, lambda ps: cls(ps, lr=0.01), 20)
    captured, optimizer = run_optimizer(problem, lambda ps: cls(ps, lr=0.01, capturable=True), 20)
    assert relative_error(captured, plain) == 0.0
    assert optimizer.param_groups[0]["capturable"] is True


@pytest.mark.parametrize("name", [*DROP_INS, *HYPERGRADIENT_BASES])
def test_differentiable_true_is_refused_by_name(name: str) -> None:
    param = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=f"'differentiable' parameter of {name} must be False"):
        getattr(ts_optim, name)([param], differentiable=True)
    getattr(ts_optim, name)([param], differentiable=False)


def test_switch_values_are_checked() -> None:
    param = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="'foreach' parameter of Adam must be None or a bool"):
        ts_optim.Adam([param], foreach="yes")
    with pytest.raises(ValueError, match="'capturable' parameter of RMSprop must be a bool"):
        ts_optim.RMSprop([param], capturable=None)
    with pytest.raises(ValueError, match="'foreach' and 'fused' parameters of AdamW cannot"):
        ts_optim.AdamW([param], foreach=True, fused=True)
