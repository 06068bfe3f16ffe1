"""Random search: uniform in the unit cube, so log-uniform over log parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space import Space
from tunesmith.strategies.base import Strategy, sample_unit
from tunesmith.trial import FrozenTrial


class Random(Strategy):
    """Independent uniform draws (Bergstra & Bengio 2012, "Random Search for Hyper-Parameter
    Optimization"); each trial's draw depends only on the study seed and its number."""

    name = "random"
    learns_space = False
    _parameters = {}  # no settings

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        return sample_unit(space, n, rng)
