"""Figure data of hyperparameter importance: each parameter's share and its spread.

The rule: the shares come from ``tunesmith.importance.importance_with_spread`` (a mapping
{name: (mean share, standard deviation over repeated fits)}); this module orders them for a
figure, and never estimates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ImportanceData", "importance_data"]


@dataclass(frozen=True)
class ImportanceData:
    """Parameters by share, smallest first (the top bar of a horizontal chart is the largest).

    Attributes:
        names: The parameters, smallest share first.
        mean: Each one's mean share.
        std: Each one's standard deviation over the fits (0 when none was given).
    """

    names: list[str]
    mean: np.ndarray
    std: np.ndarray


def importance_data(shares: Any) -> ImportanceData:
    """The shares of ``importance_with_spread``, sorted; plain {name: share} has no spread.

    Args:
        shares: {name: (mean, std)} or {name: share}, finite shares >= 0.

    Returns:
        The figure's data.

    Raises:
        ValueError: ``shares`` is empty or holds a share that is not finite and >= 0.
    """
    bad = not isinstance(shares, Mapping) or not shares
    rows = []
    for name, item in ({} if bad else shares).items():
        mean, std = item if isinstance(item, (tuple, list)) and len(item) == 2 else (item, 0.0)
        ok = all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in (mean, std))
        bad = bad or not ok
        rows.append((float(mean) if ok else 0.0, float(std) if ok else 0.0, str(name)))
    if bad:
        raise ValueError(
            "The 'shares' parameter of importance_data must be a non-empty mapping {name: "
            "(mean, std)} of finite shares >= 0, as importance_with_spread returns. "
            f"Got {shares!r} instead."
        )
    rows.sort(key=lambda r: (r[0], r[2]))
    return ImportanceData(
        [r[2] for r in rows], np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    )
