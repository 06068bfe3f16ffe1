"""Search strategies: each proposes parameter sets from the history (see ``Strategy``)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

from tunesmith.records import json_safe
from tunesmith.strategies.base import Strategy
from tunesmith.strategies.grid import Grid
from tunesmith.strategies.random import Random

__all__ = [
    "Strategy",
    "Grid",
    "Random",
    "Genetic",
    "NSGA2",
    "hypervolume",
    "resolve",
    "STRATEGY_NAMES",
]

# name -> (module, class); modules load on first use so optional extras stay optional.
_REGISTRY: dict[str, tuple[str, str]] = {
    "grid": ("tunesmith.strategies.grid", "Grid"),
    "random": ("tunesmith.strategies.random", "Random"),
    "genetic": ("tunesmith.strategies.genetic", "Genetic"),
    "nsga2": ("tunesmith.strategies.nsga2", "NSGA2"),
    "tpe": ("tunesmith.strategies.tpe", "TPE"),
    "cmaes": ("tunesmith.strategies.cmaes", "CMAES"),
    "gradient": ("tunesmith.strategies.gradient", "GradientDescent"),
    "auto": ("tunesmith.strategies.auto", "Auto"),
    "gp": ("tunesmith.strategies.gp", "GP"),
    "bohb": ("tunesmith.strategies.bohb", "BOHB"),
}
STRATEGY_NAMES = tuple(_REGISTRY)


def _load(name: str) -> type[Strategy]:
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def resolve(strategy: Any, owner: str = "create_study") -> Strategy:
    """A Strategy instance from an instance, a class, or a name such as ``"genetic"``.

    Args:
        strategy: A Strategy instance (returned as is), a Strategy class (instantiated with
            its defaults) or a name from ``STRATEGY_NAMES``.
        owner: The function named in the error message.

    Returns:
        The strategy instance.

    Raises:
        ValueError: ``strategy`` is none of those.
    """
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy()
    if isinstance(strategy, str) and strategy.lower() in _REGISTRY:
        return _load(strategy.lower())()
    raise ValueError(
        f"The 'strategy' parameter of {owner} must be a Strategy or one of "
        f"{', '.join(repr(n) for n in _REGISTRY)}. Got {strategy!r} instead."
    )


def __getattr__(name: str) -> Any:
    if name == "hypervolume":
        from tunesmith.strategies._pareto import hypervolume

        return hypervolume
    for key, (_module, cls) in _REGISTRY.items():
        if cls == name:
            return _load(key)
    raise AttributeError(name)


def to_attrs(strategy: Strategy) -> dict[str, Any]:
    """The strategy's name and public settings, as JSON for the study's stored attributes."""
    config = {
        k: v for k, v in vars(strategy).items() if not k.startswith("_") and k != "directions"
    }
    try:
        config = json_safe(config)
    except (TypeError, ValueError):
        config = {}
    return {"name": strategy.name, "config": config}


def from_attrs(attrs: Mapping[str, Any]) -> Strategy:
    """The stored strategy rebuilt; random search (with a warning) if it cannot be."""
    try:
        base = resolve(attrs["name"])
        return type(base)(**attrs.get("config", {}))
    except (KeyError, TypeError, ValueError, ImportError) as exc:
        warnings.warn(
            f"The stored strategy {attrs.get('name')!r} could not be rebuilt ({exc}); this "
            "study continues with random search. Pass strategy=... to load_study to choose.",
            stacklevel=3,
        )
        return resolve("random")
