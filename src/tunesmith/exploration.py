"""Exploit and explore, the two rules of population-based training (Jaderberg et al. 2017),
over plain values of a space: shared by the batched engine (``population.pbt``) and by
``tunesmith.PBT`` for a user's own loop. Numpy only.

Explore: ``perturb`` multiplies each number by 0.8 or 1.2 (kept on its step lattice and
inside its bounds, an int for an ``Int``) and draws a ``Choice`` again with probability
``p``; ``resample`` draws each value again with probability ``p`` and perturbs it otherwise.
Exploit: ``truncation`` lets each member of the bottom ``quantile`` restart from one drawn
from the top ``quantile``; ``tournament`` lets each member meet one other at random and copy
it when that one is strictly better. Losses are lower-is-better; NaN and infinities rank last.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.space import Choice, Distribution, Float, Int

__all__ = ["FACTORS", "sample", "explore", "ranked", "exploit_pairs"]

FACTORS = (0.8, 1.2)


def sample(space: Mapping[str, Distribution], rng: np.random.Generator) -> dict[str, Any]:
    """One uniform draw of every value of the space (log-uniform where it says log)."""
    return {name: dist.from_unit(float(rng.random())) for name, dist in space.items()}


def _snap(dist: Float | Int, x: float) -> Any:
    """``x`` on the step lattice and clipped into [low, high]; an int for an Int."""
    if dist.step is not None:
        x = dist.low + round((x - dist.low) / dist.step) * dist.step
    x = min(max(x, dist.low), dist.high)
    return int(round(x)) if isinstance(dist, Int) else float(x)


def _perturb(dist: Distribution, value: Any, rng: np.random.Generator, p: float) -> Any:
    """A Choice drawn again with probability p; a number times 0.8 or 1.2, in the space."""
    if isinstance(dist, Choice):
        return dist.from_unit(float(rng.random())) if rng.random() < p else value
    return _snap(dist, float(value) * FACTORS[int(rng.integers(2))])  # type: ignore[arg-type]


def explore(
    space: Mapping[str, Distribution],
    values: Mapping[str, Any],
    rng: np.random.Generator,
    how: str = "perturb",
    p: float = 0.25,
) -> dict[str, Any]:
    """Explored values (rule: ``perturb`` or ``resample`` as the module says), in the space."""
    out = {}
    for name, dist in space.items():
        if how == "resample" and rng.random() < p:
            out[name] = dist.from_unit(float(rng.random()))
        else:
            out[name] = _perturb(dist, values[name], rng, p)
    return out


def _finite(losses: Sequence[float]) -> list[float]:
    return [float(v) if math.isfinite(v) else math.inf for v in losses]


def ranked(losses: Sequence[float]) -> list[int]:
    """Members best first: lower loss first, NaN last, ties by member."""
    key = _finite(losses)
    return sorted(range(len(key)), key=lambda i: (key[i], i))


def exploit_pairs(
    losses: Sequence[float], how: str, quantile: float, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """(member, source) pairs: who restarts from whom (rule: ``truncation`` or
    ``tournament`` as the module says); sources are read before any copy."""
    order, key, n = ranked(losses), _finite(losses), len(losses)
    if how == "truncation":
        k = max(1, int(quantile * n))
        top = order[:k]
        return [(member, top[int(rng.integers(k))]) for member in order[n - k :]]
    pairs = []
    for member in range(n):
        other = int(rng.integers(n - 1))
        other += other >= member
        if key[other] < key[member]:
            pairs.append((member, other))
    return pairs
