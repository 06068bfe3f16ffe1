"""The stored formats, one owner each: JSON text, trial system keys, and study settings.

Everything a storage keeps is JSON. A trial's ``system_attrs`` hold tunesmith's own data about it
(under the keys of ``SystemKey``); ``user_attrs`` hold only what the user set. A study's settings
are one ``StudySettings`` record, written and read by every part that needs them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SystemKey", "StudySettings", "dumps", "json_safe"]


class SystemKey:
    """Keys of a trial's ``system_attrs``: tunesmith's own bookkeeping, never the user's."""

    BATCH = "batch"  # number of the first trial of the propose call that made this one
    RETRY = "retry"  # how many times these parameters have been run again
    RETRY_OF = "retry_of"  # number of the trial this one runs again
    ENQUEUED = "enqueued"  # queued by a user (study.enqueue), not proposed by the strategy
    TRACEBACK = "traceback"  # the objective's traceback, for a trial that raised
    GRADIENT = "gradient"  # {name: d value / d param} returned by the objective
    CONSTRAINTS = "constraints"  # [c1, c2, ...] set by the objective; c <= 0 is satisfied
    LOST = "lost"  # FAIL set by the machine (process killed, host gone), not by the objective
    INTERRUPTED = "interrupted"  # times the trial was put back to WAITING by Ctrl-C / SIGTERM

    # What one run of the objective produced: a retry of the same point starts without them.
    RUN_RESULTS = (TRACEBACK, GRADIENT, CONSTRAINTS, LOST)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{obj!r} of type {type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> str:
    """JSON text for storage; numpy scalars become plain numbers, NaN is refused."""
    return json.dumps(obj, default=_json_default, allow_nan=False, ensure_ascii=False)


def json_safe(obj: Any) -> Any:
    """Round-trip ``obj`` through JSON so stored and in-memory records look the same."""
    return json.loads(dumps(obj))


@dataclass(frozen=True)
class StudySettings:
    """A study's stored settings: space, strategy, seed, heartbeat and retry rules, extras.

    ``space`` is the JSON form of the declared space (``space_to_json``); ``strategy`` is the
    strategy's name and settings (``strategies.to_attrs``); ``extra`` holds the settings of a
    face that owns the study (``{"compare": {...}}``).
    """

    seed: int
    space: dict[str, Any] = field(default_factory=dict)
    strategy: dict[str, Any] = field(default_factory=dict)
    heartbeat_interval: float | None = None
    grace_period: float | None = None
    retries: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    _FIELDS = ("seed", "space", "strategy", "heartbeat_interval", "grace_period", "retries")

    @property
    def strategy_name(self) -> str:
        return str(self.strategy.get("name", ""))

    def to_json(self) -> dict[str, Any]:
        """The settings as the JSON object a storage keeps."""
        out = {name: getattr(self, name) for name in self._FIELDS}
        return json_safe({**self.extra, **out})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StudySettings:
        """Settings from a stored JSON object; ValueError naming what is damaged."""
        if not isinstance(data, Mapping):
            raise ValueError(f"study settings must be a JSON object, got {data!r}")
        try:
            return cls(
                seed=int(data.get("seed", 0)),
                space=dict(data.get("space") or {}),
                strategy=dict(data.get("strategy") or {}),
                heartbeat_interval=_number_or_none(data.get("heartbeat_interval")),
                grace_period=_number_or_none(data.get("grace_period")),
                retries=int(data.get("retries", 0)),
                extra={k: v for k, v in data.items() if k not in cls._FIELDS},
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"damaged study settings {dict(data)!r}: {exc}") from None


def _number_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
