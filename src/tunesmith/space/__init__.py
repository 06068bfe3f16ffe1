"""Search spaces: named distributions, their validation, JSON form, grids and grid size.

Every strategy works in the unit cube [0, 1]^d; only the distributions know real units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tunesmith.space.choice import Choice
from tunesmith.space.distributions import Distribution, Float, Int, param_error

__all__ = [
    "Float",
    "Int",
    "Choice",
    "Distribution",
    "Space",
    "validate_space",
    "space_to_json",
    "space_from_json",
    "grid_points",
    "grid_size",
]

Space = Mapping[str, Distribution]


def validate_space(space: Any, owner: str = "create_study") -> dict[str, Distribution]:
    """Check that ``space`` is a dict of names to distributions and return a plain copy."""
    if space is None:
        return {}
    if not isinstance(space, Mapping):
        raise param_error(owner, "space", "must be a dict of names to Float, Int or Choice", space)
    out: dict[str, Distribution] = {}
    for name, dist in space.items():
        if not isinstance(name, str) or not name:
            raise param_error(owner, "space", "must have non-empty string names", name)
        if not isinstance(dist, Distribution):
            raise ValueError(
                f"The 'space' parameter of {owner} must map names to Float, Int or "
                f"Choice. Got {dist!r} for {name!r} instead."
            )
        out[name] = dist
    return out


def space_to_json(space: Space) -> dict[str, Any]:
    return {name: dist.to_json() for name, dist in space.items()}


def space_from_json(data: Mapping[str, Any]) -> dict[str, Distribution]:
    return {name: Distribution.from_json(d) for name, d in data.items()}


def grid_points(space: Space, n: int | None = None) -> list[dict[str, Any]]:
    """All grid points of ``space`` in a fixed order (last name varies fastest)."""
    names = list(space)
    axes = [space[name].grid(n) for name in names]
    points: list[dict[str, Any]] = [{}]
    for name, axis in zip(names, axes):
        points = [{**p, name: v} for p in points for v in axis]
    return points


def grid_size(space: Space, n: int | None = None) -> float:
    """Number of points of ``grid_points(space, n)``.

    Args:
        space: The search space.
        n: Points of a Float without step (and the cap of an Int's); None lists every value.

    Returns:
        The grid's size; infinity when a Float without a step has no ``n`` (its grid is then
        undefined).
    """
    size = 1
    for dist in space.values():
        if isinstance(dist, Int):
            size *= dist.size if n is None else min(n, dist.size)
        elif isinstance(dist, Float) and n is None:
            if dist.step is None:
                return math.inf
            size *= dist._n_steps() + 1
        else:
            size *= len(dist.grid(n))
    return size
