"""Population-based training's steps on one running population: the copy and the checks.

Exploit picks, at a ready point, which members restart from which (``truncation``: the bottom
quantile copies members drawn from the top quantile; ``tournament``: each member meets one
other member drawn at random and copies it when it is better). The copy is an index copy of
rows inside the population's tensors: weights, optimizer state, activity. Explore moves the
copied hyperparameters (``perturb``: ×0.8 or ×1.2, clipped into the space, Int rounded, Choice
drawn again with ``resample_probability``; ``resample``: each value drawn again from the space
with ``resample_probability``, else perturbed; ``pb2``: a Gaussian-process bandit over the
reward changes of the segments so far, ``strategies.pb2``). Every value stays inside the space.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from tunesmith.exploration import exploit_pairs as exploit
from tunesmith.exploration import explore, ranked, sample
from tunesmith.population.config import HYPERPARAMETERS
from tunesmith.population.engine import PopulationRun, _loss
from tunesmith.population.optimizers import OptimizerGroup
from tunesmith.space import Choice, Distribution, Float, Int

__all__ = [
    "EXPLOITS",
    "EXPLORES",
    "TUNABLE",
    "check_space",
    "copy_members",
    "explore",
    "exploit",
    "load_state",
    "ranked",
    "sample",
    "set_hypers",
    "state_of",
    "validation_loss",
]

# what may change between ready points: the engine's per-member values that act while training
TUNABLE = (
    "lr", "momentum", "beta1", "beta2", "eps", "alpha", "weight_decay", "dropout", "l1", "l2"
)  # fmt: skip
EXPLOITS = ("truncation", "tournament")
EXPLORES = ("perturb", "resample", "pb2")
_EVAL_FLOATS = 1 << 22  # activations per validation slice


def _space_error(rule: str, got: Any) -> ValueError:
    return ValueError(f"The 'space' parameter of pbt must {rule}. Got {got!r} instead.")


def _values_of(dist: Distribution) -> list[Any]:
    """The extreme values of a distribution (every option of a Choice)."""
    return list(dist.options) if isinstance(dist, Choice) else [dist.low, dist.high]


def check_space(space: Any) -> dict[str, Distribution]:
    """The space as a dict, checked: tunable names only, every value allowed by the engine."""
    kinds = (Float, Int, Choice)
    if not isinstance(space, Mapping) or not space:
        raise _space_error("be a non-empty dict of tunesmith Float, Int or Choice", space)
    for name, dist in space.items():
        if name not in TUNABLE:
            rule = f"name only hyperparameters the population changes while training, {TUNABLE}"
            raise _space_error(rule, name)
        if not isinstance(dist, kinds):
            raise _space_error(f"map {name!r} to a tunesmith Float, Int or Choice", dist)
        allowed = HYPERPARAMETERS[name]
        for value in _values_of(dist):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not allowed.holds(float(value)):
                raise _space_error(f"keep {name!r} {allowed.describe()}", dist)
    return dict(space)


def copy_members(run: PopulationRun, pairs: Sequence[tuple[int, int]]) -> None:
    """Copy each source's row over its member's, at once: weights, optimizer state, activity."""
    if not pairs:
        return
    device = run.flat.device
    dst = torch.tensor([d for d, _ in pairs], dtype=torch.long, device=device)
    src = torch.tensor([s for _, s in pairs], dtype=torch.long, device=device)
    with torch.no_grad():
        run.flat[dst] = run.flat[src]
        for group in run.groups:  # one group: every member has the same optimizer
            for field in group.state:
                if isinstance(field, torch.Tensor):
                    field[dst] = field[src]
        run.active[dst] = run.active[src]
        run.failed_epoch[dst] = run.failed_epoch[src]


def set_hypers(run: PopulationRun, hypers: Sequence[Mapping[str, Any]]) -> None:
    """Give every member new hyperparameters, keeping weights and optimizer state."""
    run.hypers = [dict(h) for h in hypers]
    device, dtype = run.flat.device, run.flat.dtype

    def column(name: str) -> torch.Tensor:
        return torch.tensor([h[name] for h in run.hypers], dtype=dtype, device=device)

    run.groups = [
        OptimizerGroup(
            g.rule, g.start, g.stop, {k: column(k)[g.start : g.stop] for k in g.hyper}, g.state
        )
        for g in run.groups
    ]
    run.rates, run.l1, run.l2 = column("dropout"), column("l1"), column("l2")


@torch.no_grad()
def validation_loss(run: PopulationRun) -> np.ndarray:
    """Each member's mean training loss (cross-entropy, logistic or squared error) on the
    validation data, without dropout; NaN for a member that diverged."""
    data, weights = run.data, run.weights()
    per_row = len(run) * run.model.activation_size(data.input_shape, data.n_outputs)
    rows = max(data.batch_size, _EVAL_FLOATS // max(1, per_row))
    total = torch.zeros(len(run), dtype=torch.float64, device=run.flat.device)
    n = data.X_val.shape[0]
    for start in range(0, n, rows):
        x, y = data.X_val[start : start + rows], data.y_val[start : start + rows]
        total += _loss(data.task, run.model.forward(weights, x, None), y).double() * x.shape[0]
    out = (total / n).cpu().numpy()
    out[~run.active.cpu().numpy()] = np.nan
    return out


def state_of(run: PopulationRun) -> dict[str, Any]:
    """Host copies of what a checkpoint keeps of a run: weights, optimizer state, records."""
    state = run.groups[0].state._asdict()
    curve = torch.stack(run.curve, 1) if run.curve else torch.zeros((len(run), 0))
    return {
        "epoch": run.epoch,
        "flat": run.flat.detach().cpu().clone(),
        "optimizer": {
            k: v.detach().cpu().clone() if isinstance(v, torch.Tensor) else v
            for k, v in state.items()
        },
        "active": run.active.cpu().clone(),
        "failed_epoch": run.failed_epoch.cpu().clone(),
        "curve": curve.cpu().clone(),
    }


def load_state(run: PopulationRun, saved: Mapping[str, Any]) -> None:
    """Put a checkpoint's weights, optimizer state and records into a fresh run of its shape."""
    device = run.flat.device
    with torch.no_grad():
        run.flat.copy_(saved["flat"])
    group = run.groups[0]
    fields = {
        k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in saved["optimizer"].items()
    }
    group.state = group.state._replace(**fields)
    run.active = saved["active"].to(device)
    run.failed_epoch = saved["failed_epoch"].to(device)
    curve = saved["curve"].to(device=device, dtype=run.flat.dtype)
    run.curve = [curve[:, i] for i in range(curve.shape[1])]
    run.epoch = int(saved["epoch"])
