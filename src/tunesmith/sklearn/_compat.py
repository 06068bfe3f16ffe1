"""Every private scikit-learn name tunesmith.sklearn uses, in one place.

scikit-learn has no public home for these: ``BaseSearchCV`` (GridSearchCV's base class, the
documented way to write a search), its parameter-constraint types, the one-fold fit-and-score
its searches run, their error-score handling, the fit-param check and the private helpers of
``BaseSearchCV`` a search run outside ``evaluate_candidates`` needs. A scikit-learn release
that moves or changes one of them breaks this module only; the rest of tunesmith.sklearn
imports the public names below. Needs scikit-learn >= 1.4.
"""

from __future__ import annotations

import inspect
from typing import Any

from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import _check_method_params

__all__ = [
    "BASE_CONSTRAINTS",
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "check_method_params",
    "checked_cv",
    "fit_and_score",
    "fit_and_score_options",
    "format_results",
    "insert_error_scores",
    "routed_fit_params",
    "scorer_of",
    "warn_or_raise_about_fit_failures",
]

BASE_CONSTRAINTS: dict = dict(BaseSearchCV._parameter_constraints)  # GridSearchCV's shared ones
_FIT_AND_SCORE_ARGS = frozenset(inspect.signature(_fit_and_score).parameters)

fit_and_score = _fit_and_score
insert_error_scores = _insert_error_scores
warn_or_raise_about_fit_failures = _warn_or_raise_about_fit_failures
check_method_params = _check_method_params


def fit_and_score_options(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments this scikit-learn's ``_fit_and_score`` takes, the others dropped
    (its signature changes between releases)."""
    return {k: v for k, v in kwargs.items() if k in _FIT_AND_SCORE_ARGS}


def scorer_of(search: BaseSearchCV) -> Any:
    """The scorer (a callable or a multimetric scorer) ``search`` scores folds with."""
    scorer, _ = search._get_scorers()
    return scorer


def routed_fit_params(search: BaseSearchCV, params: dict[str, Any]) -> Any:
    """``fit``'s params routed to the estimator, the scorer and the splitter."""
    return search._get_routed_params_for_fit(params)


def checked_cv(search: BaseSearchCV) -> Any:
    """The splitter ``BaseSearchCV.fit`` checked, before its folds were listed."""
    return search._checked_cv_orig


def format_results(
    search: BaseSearchCV, params: list, n_splits: int, out: list, more: dict | None
) -> dict[str, Any]:
    """``cv_results_`` built by BaseSearchCV itself from the accumulated per-fold outputs."""
    return BaseSearchCV._format_results(search, params, n_splits, out, more)
