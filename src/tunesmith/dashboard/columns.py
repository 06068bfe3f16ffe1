"""A study's light trial data as NumPy columns indexed by trial number (numbers are dense):
state, values, start, finish and constraint violation. What the study list and the first
figure (the history) read, so that opening a large study builds no trial objects (the rule:
the first view reads only the numbers it draws)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import first_front, settle_violations, signs, total_violation
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz import downsample

__all__ = ["STATES", "Columns", "LightColumns"]

STATES = tuple(s.value for s in TrialState)
_CODE = {s: i for i, s in enumerate(STATES)}
_COMPLETE = _CODE[TrialState.COMPLETE.value]
ABSENT = -1  # a number not read (yet)


@dataclass(frozen=True)
class LightColumns:
    """Changed trials as columns: numbers, state codes, values (rows; NaN: none), started and
    finished (NaN: not yet), total constraint violation (NaN: no constraints set)."""

    numbers: np.ndarray
    states: np.ndarray
    values: np.ndarray
    started: np.ndarray
    finished: np.ndarray
    violation: np.ndarray

    @classmethod
    def empty(cls, n_objectives: int) -> LightColumns:
        return cls.of([], n_objectives)

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]], n_objectives: int) -> LightColumns:
        """From rows (number, state, started, finished, value of each objective..., the
        constraint values as stored: JSON text, a list, or None)."""
        cols = list(zip(*rows)) if rows else [()] * (5 + n_objectives)
        values = np.array(cols[4:-1], dtype=float).T.reshape(len(rows), n_objectives)
        return cls(
            np.array(cols[0], dtype=np.int64),
            np.array([_CODE[s] for s in cols[1]], dtype=np.int8),
            values,
            np.array(cols[2], dtype=float),
            np.array(cols[3], dtype=float),
            np.array([_violation(c) for c in cols[-1]], dtype=float),
        )

    @classmethod
    def of_trials(cls, trials: Sequence[FrozenTrial], n_objectives: int) -> LightColumns:
        """From full trials (values of another length than the study's: none)."""

        def value(t: FrozenTrial, k: int) -> float | None:
            ok = t.values is not None and len(t.values) == n_objectives
            return t.values[k] if ok else None  # type: ignore[index]

        rows = [
            (t.number, t.state.value, t.started, t.finished,
             *(value(t, k) for k in range(n_objectives)), t.constraints)
            for t in trials
        ]  # fmt: skip
        return cls.of(rows, n_objectives)


class Columns:
    """State codes (index into STATES, ABSENT for a number not read), values (NaN: none),
    started and finished (NaN: not yet), each indexed by trial number."""

    def __init__(self, n_objectives: int):
        self.k = n_objectives
        self.states = np.empty(0, dtype=np.int8)
        self.values = np.empty((0, n_objectives))
        self.started = np.empty(0)
        self.finished = np.empty(0)
        self.violation = np.empty(0)

    def _grow(self, size: int) -> None:
        extra = size - len(self.states)
        if extra <= 0:
            return
        extra = max(extra, len(self.states) // 2)  # amortized growth
        self.states = np.concatenate([self.states, np.full(extra, ABSENT, dtype=np.int8)])
        self.values = np.concatenate([self.values, np.full((extra, self.k), np.nan)])
        self.started = np.concatenate([self.started, np.full(extra, np.nan)])
        self.finished = np.concatenate([self.finished, np.full(extra, np.nan)])
        self.violation = np.concatenate([self.violation, np.full(extra, np.nan)])

    def put(self, changed: LightColumns) -> None:
        """Take changed trials' columns (newer than what is held)."""
        numbers = changed.numbers
        if not numbers.size:
            return
        self._grow(int(numbers.max()) + 1)
        self.states[numbers] = changed.states
        self.values[numbers] = changed.values
        self.started[numbers] = changed.started
        self.finished[numbers] = changed.finished
        self.violation[numbers] = changed.violation

    @property
    def numbers(self) -> np.ndarray:
        """The numbers read, ascending."""
        return np.flatnonzero(self.states != ABSENT)

    def feasible(self, numbers: np.ndarray) -> np.ndarray:
        """Which of ``numbers`` may be best: all, or once any trial set constraints, those
        whose constraints all hold (``ranking.eligible``'s rule)."""
        return settle_violations(self.violation[numbers]) == 0.0

    def summary(self, directions: Sequence[str]) -> dict[str, Any]:
        """Count, counts per state, best first objective (one objective only; of the feasible
        trials where constraints are set) and the latest start or finish."""
        held = self.states[self.states != ABSENT]
        counts = np.bincount(held, minlength=len(STATES))
        best = None
        if len(directions) == 1:
            ok = (self.states == _COMPLETE) & ~np.isnan(self.values[:, 0])
            ok[self.numbers] &= self.feasible(self.numbers)
            done = self.values[ok, 0]
            if done.size:
                best = float(done.max() if directions[0] == "maximize" else done.min())
        times = np.concatenate([self.started, self.finished])
        times = times[~np.isnan(times)]
        return {
            "trials": int(held.size),
            "states": {STATES[i]: int(c) for i, c in enumerate(counts) if c},
            "best": best,
            "last_activity": float(times.max()) if times.size else None,
        }

    def history(self, directions: Sequence[str], max_points: int) -> dict[str, Any]:
        """Every trial's first objective by number, its state, and the best so far (of the
        feasible trials where constraints are set); thinned
        to ``max_points`` keeping every improvement of the best, the best trials (the front
        for several objectives) and the last trial."""
        numbers = self.numbers
        if not numbers.size:
            return {"directions": list(directions), "points": 0, "x": [], "states": [], "y": [],
                    "best": []}  # fmt: skip
        states, values = self.states[numbers], self.values[numbers]
        done = (states == _COMPLETE) & ~np.isnan(values).any(axis=1) & self.feasible(numbers)
        losses = np.where(done[:, None], values * signs(directions), np.inf)
        running = np.minimum.accumulate(losses[:, 0])
        best = np.where(np.isinf(running), np.nan, running * signs(directions)[0])
        improved = np.flatnonzero(np.r_[True, running[1:] < running[:-1]] & done)
        if len(directions) > 1:
            top = np.flatnonzero(done)[first_front(losses[done])]
        else:
            top = np.flatnonzero(done)[np.argsort(losses[done, 0], kind="stable")[:10]]
        keep = np.concatenate([improved, top, [len(numbers) - 1]])
        rows = downsample(len(numbers), max_points, keep.astype(np.int64))
        y, b = values[rows, 0], best[rows]
        return {
            "directions": list(directions),
            "points": int(len(numbers)),
            "x": numbers[rows].tolist(),
            "states": [STATES[s] for s in states[rows]],
            "y": [None if np.isnan(v) else v for v in y.tolist()],
            "best": [None if np.isnan(v) else v for v in b.tolist()],
        }


def _violation(stored: Any) -> float:
    """Total violation of stored constraint values (JSON text or a list); NaN for none."""
    if stored is None:
        return float("nan")
    values = json.loads(stored) if isinstance(stored, str) else stored
    return total_violation(values) if isinstance(values, (list, tuple)) else float("nan")
