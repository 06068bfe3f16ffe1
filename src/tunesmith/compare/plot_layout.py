"""Where the comparison's figures put things: styles that stay apart, ranges that stay readable.

Numbers only (no matplotlib), so the rules are tested on their own: every technique gets its own
colour, line style and marker phase (identical curves stay visible); the convergence frame
starts where the searches have settled, not at the first random guesses; every panel of the
evaluated-points figure spans the whole declared space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tunesmith.space import Float, Int

__all__ = ["LineStyle", "line_styles", "ValueFrame", "value_frame", "space_limits"]

_DASHES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SETTLED = 0.1  # the frame shows the curves from this fraction of the budget on
SQUASHED = 3.0  # clip when the early values would take this many times the settled range


@dataclass(frozen=True)
class LineStyle:
    """How one technique's curve is drawn; markers every ``every`` points from ``start``."""

    color: str
    dash: str
    marker: str
    start: int
    every: int


def line_styles(n: int, budget: int) -> list[LineStyle]:
    """``n`` styles, no two alike; markers interleaved so equal curves show every technique."""
    every = max(1, budget // 8)
    return [
        LineStyle(
            color=f"C{i % 10}",
            dash=_DASHES[i % len(_DASHES)],
            marker=_MARKERS[i % len(_MARKERS)],
            start=(i * every) // max(n, 1),
            every=every,
        )
        for i in range(n)
    ]


@dataclass(frozen=True)
class ValueFrame:
    """The y-range of the convergence figure in losses (lower is better): ``low`` .. ``high``;
    ``clipped_from`` is the evaluation the frame starts to show whole (None: nothing clipped),
    ``log`` whether the axis is logarithmic (over the plotted values)."""

    low: float
    high: float
    clipped_from: int | None
    log: bool


def value_frame(bands: list[np.ndarray], flip: float) -> ValueFrame | None:
    """The frame for best-so-far loss curves ``bands`` (each: one value per evaluation).

    The axis is logarithmic when the plotted values (losses times ``flip``) are positive and
    span over two decades. On that axis, when the values before the first ``SETTLED`` of the
    budget would take over ``SQUASHED`` times the range of the rest, the top is the highest
    value from there on. None when no curve has a finite value."""
    finite = [b[np.isfinite(b)] for b in bands]
    if not any(f.size for f in finite):
        return None
    low = float(min(f.min() for f in finite if f.size))
    high = float(max(f.max() for f in finite if f.size))
    plotted = sorted((flip * low, flip * high))
    log = plotted[0] > 0 and plotted[1] / plotted[0] > 100
    length = max(b.size for b in bands)
    start = max(1, math.ceil(SETTLED * length))  # 0-based index of the first settled value
    late = [b[start:][np.isfinite(b[start:])] for b in bands]
    if not any(x.size for x in late):
        return ValueFrame(low, high, None, log)
    settled = float(max(x.max() for x in late if x.size))

    def spread(top: float) -> float:  # distance from the best, on the axis drawn
        return abs(math.log(flip * top) - math.log(flip * low)) if log else top - low

    if settled > low and spread(high) > SQUASHED * spread(settled):
        return ValueFrame(low, settled, start + 1, log)
    return ValueFrame(low, high, None, log)


def space_limits(dist: Float | Int, pad: float = 0.02) -> tuple[float, float]:
    """The axis limits that show the whole declared range, padded by ``pad`` of its width (on
    the log scale for a log parameter)."""
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        a, b = math.log(low), math.log(high)
        return math.exp(a - pad * (b - a)), math.exp(b + pad * (b - a))
    width = (high - low) or 1.0
    return low - pad * width, high + pad * width
