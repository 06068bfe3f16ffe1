"""Reading a study's results: trials, the best trial, the Pareto front, a data frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["StudyResults", "pareto_front", "best_trials", "trial_rows"]


def _losses(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> np.ndarray:
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1) * signs


def pareto_front(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The completed trials no other trial beats in every objective (ties on all kept once)."""
    if not trials:
        return []
    losses = _losses(trials, directions)
    keep = []
    for i, row in enumerate(losses):
        dominated = np.any(np.all(losses <= row, axis=1) & np.any(losses < row, axis=1))
        if not dominated:
            keep.append(trials[i])
    return keep


def best_trials(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The best completed trial (one objective) or the Pareto front (several); [] if none."""
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]
    if not done:
        return []
    if len(directions) == 1:
        pick = max if directions[0] == "maximize" else min
        return [pick(done, key=lambda t: t.values[0])]  # type: ignore[index]
    return pareto_front(done, directions)


class StudyResults:
    """Mixin: result accessors shared by every study (needs ``_trials``, ``directions``)."""

    directions: tuple[str, ...]
    _trials: list[FrozenTrial]

    def _refresh(self) -> None:  # pragma: no cover - provided by Study
        raise NotImplementedError

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial of the study, by number (read fresh from the storage)."""
        self._refresh()
        return list(self._trials)

    def _completed(self) -> list[FrozenTrial]:
        return [t for t in self._trials if t.state is TrialState.COMPLETE]

    @property
    def best_trial(self) -> FrozenTrial:
        """The completed trial with the best value (single-objective studies)."""
        self._refresh()
        if len(self.directions) != 1:
            raise RuntimeError(
                "This study has several objectives: read 'best_trials' (the Pareto "
                "front) instead of 'best_trial'."
            )
        done = self._completed()
        if not done:
            raise ValueError("No trial has completed yet, so there is no best trial.")
        pick = max if self.directions[0] == "maximize" else min
        return pick(done, key=lambda t: t.values[0])

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]  # type: ignore[index]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of the completed trials (the best trial for one objective)."""
        self._refresh()
        return best_trials(self._trials, self.directions)

    def _best_text(self) -> str:
        done = self._completed()
        if not done or len(self.directions) != 1:
            return ""
        pick = max if self.directions[0] == "maximize" else min
        return f"best={pick(t.values[0] for t in done):.6g}"

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame: number, state, value(s), params_*, user_attrs_*."""
        try:
            import pandas as pd
        except ModuleNotFoundError:
            raise ImportError(
                'to_dataframe needs pandas: pip install "tunesmith[pandas]"'
            ) from None
        return pd.DataFrame(trial_rows(self.trials, self.directions))


def trial_rows(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[dict[str, Any]]:
    """One flat dict per trial, for tables, CSV and data frames."""
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.value}
        if len(directions) == 1:
            row["value"] = t.values[0] if t.values else None
        else:
            for i in range(len(directions)):
                row[f"values_{i}"] = t.values[i] if t.values else None
        row.update({f"params_{k}": v for k, v in t.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items() if k != "traceback"})
        row.update(started=t.started, finished=t.finished, duration=t.duration, error=t.error)
        rows.append(row)
    return rows
