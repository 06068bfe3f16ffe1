"""One rule for what an objective's result means: the trial outcome every path records.

``outcome_of`` turns whatever an objective returned into COMPLETE values or a FAIL with its
reason; ``failed`` and ``pruned`` do the same for an exception and a pruned trial. The driver,
``Study.tell``, compare and SearchCV all go through these, so the same return value always ends
the same way.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.records import SystemKey
from tunesmith.trial import Trial, TrialState

__all__ = [
    "TrialOutcome",
    "outcome_of",
    "failed",
    "pruned",
    "describe",
    "check_values",
    "split_gradient",
]


@dataclass
class TrialOutcome:
    """The result of evaluating one trial, shipped back to the driver to be told."""

    trial: Trial
    state: TrialState
    values: tuple[float, ...] | None
    error: str | None
    reraise: BaseException | None = None
    retry: bool = False  # the failure was the machine's, not the objective's: run it again


def describe(exc: BaseException) -> str:
    """``Type: message``, cut to 2,000 characters."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) < 2000 else text[:2000] + "..."


def failed(
    trial: Trial, exc: BaseException, catch: tuple[type[BaseException], ...] = (Exception,)
) -> TrialOutcome:
    """A FAIL outcome for an exception, traceback kept; re-raised later unless in ``catch``."""
    trial.system_attrs[SystemKey.TRACEBACK] = "".join(traceback.format_exception(exc))[-8000:]
    keep_going = isinstance(exc, catch) and not isinstance(exc, (KeyboardInterrupt, SystemExit))
    return TrialOutcome(trial, TrialState.FAIL, None, describe(exc), None if keep_going else exc)


def pruned(trial: Trial, n_objectives: int) -> TrialOutcome:
    """A PRUNED outcome; one objective keeps its last reported value."""
    last = trial.intermediate[max(trial.intermediate)] if trial.intermediate else None
    values = (last,) if last is not None and n_objectives == 1 else None
    return TrialOutcome(trial, TrialState.PRUNED, values, None)


def outcome_of(trial: Trial, raw: Any, n_objectives: int) -> TrialOutcome:
    """What an objective's return value means: COMPLETE with finite floats, or FAIL and why."""
    try:
        raw = split_gradient(trial, raw, n_objectives)
    except Exception as exc:  # noqa: BLE001 - any unusable gradient fails this trial only
        return TrialOutcome(trial, TrialState.FAIL, None, f"Unusable gradient: {describe(exc)}")
    values, reason = check_values(raw, n_objectives)
    if reason is not None:
        return TrialOutcome(trial, TrialState.FAIL, None, reason)
    return TrialOutcome(trial, TrialState.COMPLETE, values, None)


def split_gradient(trial: Trial, raw: Any, n_objectives: int) -> Any:
    """Accept ``(value, {name: d value / d param})`` from a single-objective objective: the
    gradient is kept in the trial's system attributes (hypergradients for GradientDescent)
    and the value is returned."""
    if (
        n_objectives == 1
        and isinstance(raw, tuple)
        and len(raw) == 2
        and isinstance(raw[1], Mapping)
    ):
        trial.system_attrs[SystemKey.GRADIENT] = {str(k): float(v) for k, v in raw[1].items()}
        return raw[0]
    return raw


def _items(raw: Any, n_objectives: int) -> tuple[list[Any] | None, str | None]:
    """The returned values as a list, or the reason the shape is wrong."""
    if n_objectives == 1 and (
        not isinstance(raw, (list, tuple, np.ndarray))
        or (isinstance(raw, np.ndarray) and raw.ndim == 0)
    ):
        return [raw], None
    if isinstance(raw, np.ndarray):
        items = list(np.asarray(raw, dtype=object).ravel())
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        return None, (
            f"The objective returned {raw!r}; the study has {n_objectives} directions, "
            f"so a sequence of {n_objectives} numbers is needed."
        )
    if len(items) != n_objectives:
        return None, (
            f"The objective returned {len(items)} values; the study has "
            f"{n_objectives} direction(s)."
        )
    return items, None


def check_values(raw: Any, n_objectives: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Turn an objective's return into finite floats, or give the reason it is unusable."""
    items, reason = _items(raw, n_objectives)
    if items is None:
        return None, reason
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or item is None or isinstance(item, (str, bytes)):
            return None, f"The objective returned {_shown(raw)}, which is not a number."
        try:
            v = float(item)
        except Exception as exc:  # noqa: BLE001 - OverflowError, a raising __float__, ...
            return None, (
                f"The objective returned {_shown(raw)}, which is not a number ({describe(exc)})."
            )
        if not math.isfinite(v):
            return None, (
                f"The objective returned {_shown(raw)}; values must be finite (not NaN or inf)."
            )
        out.append(v)
    return tuple(out), None


def _shown(raw: Any) -> str:
    """``repr`` of a returned value, safe against a raising ``__repr__`` and cut short."""
    try:
        text = repr(raw)
    except Exception:  # noqa: BLE001
        text = f"<{type(raw).__name__} object>"
    return text if len(text) <= 200 else text[:200] + "..."
