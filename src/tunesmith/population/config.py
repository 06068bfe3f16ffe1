"""Per-member hyperparameters: the declared table, defaults by optimizer, one checked config."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HYPERPARAMETERS", "OPTIMIZERS", "Range", "member_config"]

# optimizer name -> the tunesmith.optim.functional rule that updates it
OPTIMIZERS: dict[str, str] = {
    "sgd": "sgd",
    "momentum": "sgd",
    "rmsprop": "rmsprop",
    "adam": "adam",
    "adamw": "adamw",
}
_DEFAULT_LR = {"sgd": 1e-2, "momentum": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3}


@dataclass(frozen=True)
class Range:
    """An interval of allowed real values, open or closed at each end."""

    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


_UNIT_OPEN_HIGH = Range(0.0, 1.0, high_open=True)

# name -> allowed range; every one may differ between members of one population
HYPERPARAMETERS: dict[str, Range] = {
    "lr": Range(),
    "momentum": _UNIT_OPEN_HIGH,
    "beta1": _UNIT_OPEN_HIGH,
    "beta2": _UNIT_OPEN_HIGH,
    "eps": Range(),
    "alpha": Range(0.0, 1.0),
    "weight_decay": Range(),
    "dropout": _UNIT_OPEN_HIGH,
    "init_scale": Range(),
    "l1": Range(),
    "l2": Range(),
}


def _defaults(optimizer: str, dropout: float) -> dict[str, float]:
    return {
        "lr": _DEFAULT_LR[optimizer],
        "momentum": 0.9 if optimizer == "momentum" else 0.0,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "alpha": 0.99,
        "weight_decay": 1e-2 if optimizer == "adamw" else 0.0,
        "dropout": dropout,
        "init_scale": 1.0,
        "l1": 0.0,
        "l2": 0.0,
    }


def _bad(owner: str, index: int, rule: str, got: Any) -> ValueError:
    return ValueError(
        f"The 'configs' parameter of {owner} must hold {rule}. Got {got!r} in configs[{index}] "
        "instead."
    )


def member_config(
    config: Any,
    index: int,
    structure_keys: frozenset[str],
    dropout: float = 0.0,
    owner: str = "train",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split one config into checked numeric hyperparameters (defaults filled) and shape keys.

    Returns ``(hyper, structure)``: ``hyper`` has ``optimizer`` and every key of
    ``HYPERPARAMETERS``; ``structure`` has the model's shape-changing keys found in ``config``.
    """
    if not isinstance(config, Mapping):
        raise _bad(owner, index, "dicts of hyperparameters", config)
    optimizer = config.get("optimizer", "adam")
    if optimizer not in OPTIMIZERS:
        raise _bad(owner, index, f"'optimizer' among {sorted(OPTIMIZERS)}", optimizer)
    known = set(HYPERPARAMETERS) | structure_keys | {"optimizer", "betas"}
    unknown = sorted(str(k) for k in config if k not in known)
    if unknown:
        raise ValueError(
            f"The 'configs' parameter of {owner} has unknown key(s) {unknown} in "
            f"configs[{index}]; known keys: {sorted(known)}."
        )
    values = dict(config)
    if "betas" in values:
        betas = values.pop("betas")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise _bad(owner, index, "'betas' as a pair (beta1, beta2)", betas)
        values["beta1"], values["beta2"] = betas
    hyper: dict[str, Any] = _defaults(optimizer, dropout)
    for name, allowed in HYPERPARAMETERS.items():
        if name not in values:
            continue
        value = values[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(float(value))
            or not allowed.holds(float(value))
        ):
            raise _bad(owner, index, f"{name!r} {allowed.describe()}", value)
        hyper[name] = float(value)
    hyper["optimizer"] = optimizer
    structure = {k: values[k] for k in structure_keys if k in values}
    return hyper, structure
