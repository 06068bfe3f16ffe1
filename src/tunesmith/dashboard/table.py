"""The trial table's query: filter by state and by a parameter's range, sort by a column, one
page of rows (the rule: trials without the sorted value go last, either direction)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.dashboard.data import trial_row
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["TableQuery", "query_table"]

_COLUMNS = ("number", "state", "value", "started", "duration")
_STATES = tuple(s.value for s in TrialState)
PAGE = 200


def _number(args: Mapping[str, str], name: str, default: float | None) -> float | None:
    text = args.get(name, "")
    if text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise ValueError(f"The {name!r} parameter of the trial table must be a number. Got "
                         f"{text!r} instead.")  # fmt: skip
    return value


class TableQuery:
    """A table request's arguments, checked: sort, desc, state, param, lo, hi, offset, limit."""

    def __init__(self, args: Mapping[str, str]):
        self.sort = args.get("sort", "number")
        if self.sort not in _COLUMNS and not self.sort.startswith("param:"):
            raise ValueError(
                f"The 'sort' parameter of the trial table must be one of {list(_COLUMNS)} or "
                f"'param:NAME'. Got {self.sort!r} instead."
            )
        self.desc = args.get("desc", "0") in ("1", "true")
        self.states = [s for s in args.get("state", "").split(",") if s]
        bad = [s for s in self.states if s not in _STATES]
        if bad:
            raise ValueError(
                f"The 'state' parameter of the trial table must list states of {list(_STATES)}."
                f" Got {bad!r} instead."
            )
        self.param = args.get("param", "")
        self.lo = _number(args, "lo", None)
        self.hi = _number(args, "hi", None)
        self.offset = int(_number(args, "offset", 0))  # type: ignore[arg-type]
        self.limit = int(_number(args, "limit", PAGE))  # type: ignore[arg-type]
        if self.offset < 0 or not 1 <= self.limit <= 5000:
            raise ValueError(
                "The 'offset' and 'limit' parameters of the trial table must be >= 0 and in "
                f"[1, 5000]. Got offset={self.offset}, limit={self.limit} instead."
            )


def _in_range(query: TableQuery, t: FrozenTrial) -> bool:
    """Whether trial ``t`` has the filtered parameter inside [lo, hi] (numeric values only)."""
    value = t.params.get(query.param)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    low = -math.inf if query.lo is None else query.lo
    high = math.inf if query.hi is None else query.hi
    return low <= value <= high


def _key(sort: str, t: FrozenTrial) -> Any:
    """The sorted value of ``t`` (None when it has none)."""
    if sort == "number":
        return t.number
    if sort == "state":
        return t.state.value
    if sort == "value":
        return t.values[0] if t.values else None
    if sort == "started":
        return t.started
    if sort == "duration":
        return None if t.started is None or t.finished is None else t.finished - t.started
    value = t.params.get(sort[len("param:") :])
    return None if value is None else (isinstance(value, str), value)


def query_table(trials: Sequence[FrozenTrial], query: TableQuery, revision: int) -> dict[str, Any]:
    """The page of rows ``query`` asks for, with how many trials match and exist."""
    rows = [t for t in trials if not query.states or t.state.value in query.states]
    if query.param:
        rows = [t for t in rows if _in_range(query, t)]
    have = [(k, t) for t in rows if (k := _key(query.sort, t)) is not None]
    lack = [t for t in rows if _key(query.sort, t) is None]
    try:
        have.sort(key=lambda pair: (pair[0], pair[1].number), reverse=query.desc)
    except TypeError:  # values of mixed kinds: by their text
        have.sort(key=lambda pair: (str(pair[0]), pair[1].number), reverse=query.desc)
    ordered = [t for _, t in have] + sorted(lack, key=lambda t: t.number)
    page = ordered[query.offset : query.offset + query.limit]
    return {
        "revision": revision,
        "total": len(trials),
        "matched": len(ordered),
        "trials": [trial_row(t) for t in page],
    }
