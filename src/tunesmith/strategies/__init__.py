"""Search strategies: each proposes parameter sets from the history (see ``Strategy``)."""

from __future__ import annotations

import importlib
from typing import Any

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
}
STRATEGY_NAMES = tuple(_REGISTRY)


def _load(name: str) -> type[Strategy]:
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def resolve(strategy: Any, owner: str = "create_study") -> Strategy:
    """A Strategy instance from an instance, a class, or a name such as ``"genetic"``."""
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
