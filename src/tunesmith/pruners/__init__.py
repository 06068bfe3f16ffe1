"""Pruners: stop unpromising trials early from their intermediate values (see ``Pruner``)."""

from __future__ import annotations

from tunesmith.pruners.base import Pruner
from tunesmith.pruners.halving import Hyperband, SuccessiveHalving
from tunesmith.pruners.median import Median

__all__ = ["Pruner", "Median", "SuccessiveHalving", "Hyperband"]
