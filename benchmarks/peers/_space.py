"""Shared helpers of the peer runners: snapping values into a tunesmith space, availability."""

from __future__ import annotations

import importlib
import importlib.util
import math
from typing import Any

from tunesmith.space import Choice, Distribution, Float, Int

__all__ = ["snap", "snap_all", "missing", "NumericSpaceError"]


class NumericSpaceError(ValueError):
    """The peer cannot search this space."""


def snap(dist: Distribution, value: Any) -> Any:
    """``value`` as the nearest value the distribution holds (clipped, rounded to its lattice)."""
    if isinstance(dist, Choice):
        return value
    v = min(max(float(value), dist.low), dist.high)
    if isinstance(dist, Int):
        k = round((v - dist.low) / dist.step)
        return int(min(dist.low + k * dist.step, dist.high))
    assert isinstance(dist, Float)
    if dist.step is not None:
        k = round((v - dist.low) / dist.step)
        return min(dist.low + k * dist.step, dist.high)
    return v


def snap_all(space: dict[str, Distribution], params: dict[str, Any]) -> dict[str, Any]:
    return {k: snap(d, params[k]) for k, d in space.items()}


def missing(*modules: str) -> str | None:
    """A one-line reason when a peer's package is not installed, else None.

    The package is imported here, once, so its import time is not counted as its overhead."""
    for module in modules:
        package = {"sklearn": "scikit-learn"}.get(module, module)
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install {package})"
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken install is reported, not raised
            return f"{package} cannot be imported ({type(exc).__name__}: {exc})"
    return None


def log_bounds(dist: Float | Int) -> tuple[float, float]:
    return math.log(dist.low), math.log(dist.high)
