"""SearchCV's space: param grids, scipy.stats distributions and tunesmith distributions.

Everything the user may pass as ``space`` is mapped to one tunesmith space the study searches,
and each trial's params are mapped back to estimator params. A list of options becomes a
``Choice`` of the options themselves when they are plain JSON scalars, else of their indexes
(estimator objects, numpy scalars, tuples, repeated options). A scipy.stats distribution
becomes a unit ``Float`` read through the distribution's ``ppf``, or used as a seed for its
``rvs`` when it has no ``ppf``. Keys are sorted, so a grid runs in ParameterGrid's order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np

from tunesmith.space import Choice, Distribution, Float, Int

__all__ = ["SearchSpace", "readable"]

GRID_KEY = "@grid"  # which sub-grid of a list of dicts a trial uses
CANDIDATE_KEY = "candidate"  # index into an enumerated list of candidates
_EPS = 1e-12  # keeps a unit value off 0 and 1, where a ppf may be infinite
_PLAIN = (str, int, bool, type(None))


def _bad(rule: str, got: Any) -> ValueError:
    return ValueError(f"The 'space' parameter of SearchCV {rule}. Got {got!r} instead.")


def _plain(value: Any) -> bool:
    """A JSON scalar that comes back from storage as the same value and type."""
    if type(value) is float:
        return math.isfinite(value)
    return type(value) in _PLAIN


class _Param:
    """How one estimator parameter is searched: a tunesmith distribution and the way back."""

    dist: Distribution
    encoded = False  # True when the study's value is not the estimator's value
    size: int | None = None  # number of distinct values when finite

    def decode(self, value: Any) -> Any:
        return value

    def grid(self, name: str, n_points: int | None) -> list[Any]:
        raise ValueError(
            f"Grid search needs a list or a tunesmith distribution for {name!r}; "
            f"{self!r} cannot be enumerated. Use another strategy."
        )


class _Options(_Param):
    """A list of options, as in GridSearchCV's param_grid."""

    def __init__(self, options: list[Any]):
        self.options = options
        keys = [json.dumps(o) if _plain(o) else None for o in options]
        self.encoded = None in keys or len(set(keys)) != len(keys)
        self.dist = Choice(list(range(len(options))) if self.encoded else options)
        self.size = len(options)

    def decode(self, value: Any) -> Any:
        return self.options[self.dist.index(value)]  # the original object, never a copy

    def grid(self, name: str, n_points: int | None) -> list[Any]:
        return list(self.options)

    def __repr__(self) -> str:
        return f"options {self.options!r}"


class _Native(_Param):
    """A tunesmith Float, Int or Choice, searched as it is."""

    def __init__(self, dist: Distribution):
        self.dist = dist
        if isinstance(dist, Choice):
            self.size = len(dist.options)
        elif isinstance(dist, Int):
            self.size = dist.size
        elif isinstance(dist, Float) and dist.step is not None:
            self.size = len(dist.grid())

    def grid(self, name: str, n_points: int | None) -> list[Any]:
        if isinstance(self.dist, Float) and self.dist.step is None and n_points is None:
            raise ValueError(
                f"Parameter {name!r} is {self.dist!r} with no step, so its grid is undefined: "
                "give it a step or use strategy=Grid(n_points=n)."
            )
        return self.dist.grid(n_points)

    def __repr__(self) -> str:
        return repr(self.dist)


class _Quantile(_Param):
    """A scipy.stats distribution read through its ppf at a unit value."""

    encoded = True

    def __init__(self, dist: Any):
        self.scipy_dist = dist
        self.discrete = hasattr(dist, "pmf")
        self.dist = Float(0.0, 1.0)

    def decode(self, value: Any) -> Any:
        u = min(max(float(value), _EPS), 1.0 - _EPS)
        x = self.scipy_dist.ppf(u)
        return int(x) if self.discrete else float(x)

    def __repr__(self) -> str:
        return f"distribution {self.scipy_dist!r}"


class _Sampled(_Param):
    """An object with only ``rvs``: the unit value seeds its draw, so a trial is reproducible."""

    encoded = True

    def __init__(self, dist: Any):
        self.sampler = dist
        self.dist = Float(0.0, 1.0)

    def decode(self, value: Any) -> Any:
        seed = int(min(max(float(value), 0.0), 1.0) * (2**32 - 1))
        return self.sampler.rvs(random_state=np.random.RandomState(seed))

    def __repr__(self) -> str:
        return f"distribution {self.sampler!r}"


def _param(name: str, value: Any) -> _Param:
    if isinstance(value, Distribution):
        return _Native(value)
    if hasattr(value, "rvs"):
        return _Quantile(value) if hasattr(value, "ppf") else _Sampled(value)
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise _bad(f"must map {name!r} to a one-dimensional array", value)
        value = list(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise _bad(
            f"must map {name!r} to a list of options, a tunesmith distribution or a "
            "scipy.stats distribution (wrap a single value in a list)",
            value,
        )
    if len(value) == 0:
        raise _bad(f"must map {name!r} to a non-empty list", value)
    return _Options(list(value))


def _sub_grid(grid: Any) -> dict[str, _Param]:
    if not isinstance(grid, Mapping):
        raise _bad("must be a dict, or a list of dicts, of parameter names", grid)
    params = {}
    for name in sorted(grid):
        if not isinstance(name, str) or not name:
            raise _bad("must have non-empty string names", name)
        params[name] = _param(name, grid[name])
    return params


def _size(params: Mapping[str, _Param]) -> int | None:
    sizes = [p.size for p in params.values()]
    return None if None in sizes else math.prod(sizes)  # type: ignore[arg-type]


class SearchSpace:
    """The study's space for a user's ``space``, and the map from trial params back.

    Modes: "named" (one dict: one study parameter per estimator parameter); "listed" (a
    list of finite dicts, or an empty space: a ``candidate`` index into the candidates in
    ParameterGrid's order, so no strategy proposes a candidate twice); "sub-grids" (a list of
    dicts, some of them continuous: a ``@grid`` choice plus each sub-grid's parameters as
    ``name@i``; the parameters of the other sub-grids are proposed but unused).
    """

    def __init__(self, space: Any, *, grid: bool, n_points: int | None = None):
        if isinstance(space, Mapping):
            grids = [space]
        elif isinstance(space, Sequence) and not isinstance(space, (str, bytes)):
            grids = list(space)
            if not grids:
                raise _bad("must not be an empty list", space)
        else:
            raise _bad("must be a dict or a list of dicts", space)
        self.sub_grids = [_sub_grid(g) for g in grids]
        sizes = [_size(g) for g in self.sub_grids]
        self.size: int | None = None if None in sizes else sum(sizes)  # type: ignore[arg-type]
        self.candidates: list[dict[str, Any]] | None = None
        if len(self.sub_grids) == 1 and self.sub_grids[0]:
            self.mode = "named"
            self.space = {name: p.dist for name, p in self.sub_grids[0].items()}
            self.encoded = any(p.encoded for p in self.sub_grids[0].values())
            if grid:  # fail early, with the parameter's name, on what cannot be enumerated
                for name, p in self.sub_grids[0].items():
                    p.grid(name, n_points)
        elif grid or self.size is not None:
            self.mode = "listed"
            self.candidates = self._enumerate(n_points)
            self.size = len(self.candidates)
            self.space = {CANDIDATE_KEY: Choice(list(range(len(self.candidates))))}
            self.encoded = True
        else:
            self.mode = "sub-grids"
            self.space = {GRID_KEY: Choice(list(range(len(self.sub_grids))))}
            for i, params in enumerate(self.sub_grids):
                self.space.update({f"{name}@{i}": p.dist for name, p in params.items()})
            self.encoded = True

    def _enumerate(self, n_points: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for params in self.sub_grids:
            names = list(params)
            axes = [params[name].grid(name, n_points) for name in names]
            out.extend(dict(zip(names, values)) for values in product(*axes))
        return out

    def decode(self, trial_params: Mapping[str, Any]) -> dict[str, Any]:
        """The estimator params of a trial."""
        if self.mode == "named":
            return {name: p.decode(trial_params[name]) for name, p in self.sub_grids[0].items()}
        if self.mode == "listed":
            assert self.candidates is not None
            return dict(self.candidates[int(trial_params[CANDIDATE_KEY])])
        i = int(trial_params[GRID_KEY])
        return {
            name: p.decode(trial_params[f"{name}@{i}"]) for name, p in self.sub_grids[i].items()
        }


def readable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Estimator params as JSON: plain scalars as they are, anything else as its repr."""
    out = {}
    for name, value in params.items():
        if isinstance(value, np.generic) and _plain(value.item()):
            value = value.item()
        out[name] = value if _plain(value) else repr(value)
    return out
