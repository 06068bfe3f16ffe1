"""Hyperparameter importance for the study page (repeated fits: mean share and spread) and the
contour's default pair (the rule: the two most important parameters, by name when unknown)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

from tunesmith.dashboard.data import StudyCache
from tunesmith.importance import METHODS, StudyData, importance_with_spread
from tunesmith.space import Distribution, space_from_json
from tunesmith.viz import StudySource

__all__ = ["contour_pair", "default_method", "importance_json", "space_of"]


def default_method() -> str:
    """fANOVA when scikit-learn is installed (it fits the forests), the model-free one if not."""
    return "fanova" if importlib.util.find_spec("sklearn") is not None else "ped"


def space_of(cache: StudyCache) -> dict[str, Distribution]:
    """The study's declared space ({} when it has none or it cannot be read)."""
    try:
        return space_from_json(cache.info.settings.space)
    except (ValueError, KeyError, TypeError):
        return {}


def check_method(method: str) -> str:
    """The rule of ``method``: one of importance's methods."""
    if method not in METHODS:
        raise ValueError(
            f"The 'method' parameter of importance must be one of {list(METHODS)}. "
            f"Got {method!r} instead."
        )
    return method


def importance_json(
    cache: StudyCache, source: StudySource, method: str, target: int
) -> dict[str, Any]:
    """Each parameter's mean share of the objective's variance and its standard deviation over
    repeated fits, largest first; computed once per revision of the study."""
    method = check_method(method)

    def make() -> dict[str, Any]:
        data = StudyData(source.trials, source.directions, space_of(cache) or None)
        spread = importance_with_spread(data, method, target=target)
        rows = [{"name": k, "mean": m, "std": s} for k, (m, s) in spread.items()]
        return {"method": method, "target": target, "params": rows}

    return cache.remember(("importance", method, target), cache.revision, make)


def _known_order(cache: StudyCache) -> list[str] | None:
    """Parameter names by importance from a fit already made at the current revision."""
    for key, (revision, value) in list(cache.memo.items()):
        if key[0] == "importance" and revision == cache.revision and key[2] == 0:
            return [row["name"] for row in value["params"]]
    return None


def contour_pair(cache: StudyCache, source: StudySource, names: Sequence[str]) -> list[str]:
    """The two most important of ``names``: from a fit already made at this revision, else
    from one quick fit (one repeat) made once for the study; the first two by name when
    importance cannot be measured yet."""
    order = _known_order(cache)
    if order is None:

        def fit() -> list[str]:
            data = StudyData(source.trials, source.directions, space_of(cache) or None)
            return list(importance_with_spread(data, default_method(), target=0, n_repeats=1))

        try:
            order = cache.remember(("pair",), -1, fit)
        except ValueError:  # too few trials yet: tried again next time
            order = []
    ranked = [n for n in order if n in names] + sorted(n for n in names if n not in order)
    return ranked[:2]
