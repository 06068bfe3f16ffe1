"""A candidate's per-fold outputs kept with its trial, so a resumed fit rebuilds its results.

Rule: each candidate SearchCV evaluates keeps, as the ``cv_folds`` user attr, what
``cv_results_`` is built from: per fold, the test scores (and train scores when asked), the fit
and score times and the test size; a value that is not finite is kept as None. A trial without
it was not evaluated by SearchCV (its batch was interrupted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunesmith.trial import FrozenTrial

__all__ = ["FOLDS_ATTR", "evaluated", "fold_outputs", "fold_record"]

FOLDS_ATTR = "cv_folds"


def _json(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _back(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _scores_json(scores: Any) -> Any:
    """One fold's scores (a number, or a dict for several metrics) as JSON."""
    if isinstance(scores, dict):
        return {name: _json(v) for name, v in scores.items()}
    return _json(scores)


def _scores_back(scores: Any) -> Any:
    if isinstance(scores, dict):
        return {name: _back(v) for name, v in scores.items()}
    return _back(scores)


def fold_record(outs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One candidate's fit-and-score outputs (one per fold) as the JSON ``cv_folds`` attr."""
    record: dict[str, Any] = {
        "test": [_scores_json(o["test_scores"]) for o in outs],
        "fit_time": [_json(o["fit_time"]) for o in outs],
        "score_time": [_json(o["score_time"]) for o in outs],
        "n_test": [int(o["n_test_samples"]) for o in outs],
    }
    if outs and "train_scores" in outs[0]:
        record["train"] = [_scores_json(o["train_scores"]) for o in outs]
    return record


def fold_outputs(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The fit-and-score outputs a ``cv_folds`` attr was made from (NaN for None)."""
    outs = []
    for k, test in enumerate(record["test"]):
        out = {
            "fit_error": None,
            "test_scores": _scores_back(test),
            "n_test_samples": int(record["n_test"][k]),
            "fit_time": _back(record["fit_time"][k]),
            "score_time": _back(record["score_time"][k]),
        }
        if "train" in record:
            out["train_scores"] = _scores_back(record["train"][k])
        outs.append(out)
    return outs


def evaluated(trials: Sequence[FrozenTrial], n_splits: int) -> list[FrozenTrial]:
    """The finished trials SearchCV evaluated on ``n_splits`` folds, by number."""
    return [
        t
        for t in trials
        if t.state.finished
        and isinstance(t.user_attrs.get(FOLDS_ATTR), dict)
        and len(t.user_attrs[FOLDS_ATTR].get("test", ())) == n_splits
    ]
