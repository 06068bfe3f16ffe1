"""Reading a study's results: trials, the best trial, the Pareto front, a data frame."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tunesmith.ranking import best_trial, best_trials
from tunesmith.trial import FrozenTrial

__all__ = ["StudyResults", "trial_rows"]


def detached(trial: FrozenTrial) -> FrozenTrial:
    """A copy of a cached trial whose dicts a user may change without changing the study."""
    return replace(
        trial,
        params=dict(trial.params),
        distributions=dict(trial.distributions),
        intermediate=dict(trial.intermediate),
        user_attrs=copy.deepcopy(trial.user_attrs),
        system_attrs=copy.deepcopy(trial.system_attrs),
    )


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
        return [detached(t) for t in self._trials]

    @property
    def best_trial(self) -> FrozenTrial:
        """The completed trial with the best value (single-objective studies); once any trial
        has set constraints, the best of those that satisfy them."""
        self._refresh()
        if len(self.directions) != 1:
            raise RuntimeError(
                "This study has several objectives: read 'best_trials' (the Pareto "
                "front) instead of 'best_trial'."
            )
        best = best_trial(self._trials, self.directions)
        if best is None and any(t.feasible is not None for t in self._trials):
            raise ValueError(
                "No completed trial satisfies its constraints yet (Trial.set_constraints: "
                "every value <= 0), so there is no best trial."
            )
        if best is None:
            raise ValueError("No trial has completed yet, so there is no best trial.")
        return detached(best)

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]  # type: ignore[index]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of the completed trials (the best trial for one objective), of the
        feasible ones once any trial has set constraints."""
        self._refresh()
        return [detached(t) for t in best_trials(self._trials, self.directions)]

    def _best_text(self) -> str:
        """``best=...`` for the progress bar (one objective), else ""."""
        if len(self.directions) != 1:
            return ""
        best = best_trial(self._trials, self.directions)
        return "" if best is None else f"best={best.values[0]:.6g}"  # type: ignore[index]

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame: number, state, value(s), params_*, user_attrs_*.

        Returns:
            A ``pandas.DataFrame`` with one row per trial.

        Raises:
            ImportError: pandas is not installed (``pip install "tunesmith[pandas]"``).
        """
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
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()})
        row.update(started=t.started, finished=t.finished, duration=t.duration, error=t.error)
        rows.append(row)
    return rows
