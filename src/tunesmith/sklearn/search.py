"""``SearchCV``: a drop-in for scikit-learn's GridSearchCV, driven by a tunesmith study."""

from __future__ import annotations

import functools
import warnings
from numbers import Integral
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.model_selection import check_cv
from sklearn.utils import indexable

from tunesmith.sklearn._compat import (
    BASE_CONSTRAINTS,
    BaseSearchCV,
    HasMethods,
    Interval,
    check_method_params,
    checked_cv,
    routed_fit_params,
)
from tunesmith.sklearn.budget import batch_size, count_trials, strategy_and_space
from tunesmith.sklearn.folds import FOLDS_ATTR, fold_outputs
from tunesmith.sklearn.params import AliasParams, budget_and_seed
from tunesmith.sklearn.pruning import FoldByFold
from tunesmith.sklearn.resume import fingerprint, open_search
from tunesmith.sklearn.space import SearchSpace, readable
from tunesmith.sklearn.study import PicklesStudy, fail_open, record
from tunesmith.strategies import Strategy
from tunesmith.study import Study, StudyExhausted
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["SearchCV"]


class SearchCV(AliasParams, PicklesStudy, BaseSearchCV):
    """Cross-validated search over an estimator's parameters, proposed by a tunesmith strategy.

    Fitting again: each fit is a fresh search of the data it is given; an interrupted fit can be
    resumed. With a ``study_name`` in a persistent storage, a fit of the same data, folds, fit
    params and settings (all but ``n_jobs``, ``verbose``, ``pre_dispatch``, ``storage``,
    ``study_name``) as the stored study's, which holds fewer evaluated candidates than the budget,
    resumes it: it keeps their rows of ``cv_results_`` (read back, not refitted), evaluates the
    interrupted batch again, then the rest. Otherwise (the stored search ended, or searched other
    data or settings) the stored study is deleted and the fit starts afresh under that name. A study
    SearchCV did not create is never replaced: the fit is refused. Run one fit per name at a time.
    The other attributes (``cv_results_``, ``best_params_``, ``best_score_``, ``best_index_``,
    ``best_estimator_``, ``refit_time_``, ``scorer_``, ``n_splits_``, ``multimetric_``,
    ``classes_``, ``n_features_in_``, delegated ``predict`` ...) are GridSearchCV's.

    Args:
        estimator: Cloned and fitted once per candidate and fold.
        space: Parameter names mapped to lists of options (GridSearchCV's ``param_grid``; a list of
            dicts is a union of sub-grids), tunesmith ``Float`` / ``Int`` / ``Choice``, or
            scipy.stats distributions (RandomizedSearchCV's ``param_distributions``). Options may be
            any objects, estimators included.
        strategy: "grid", "random", "genetic", "tpe", ... or a Strategy. With "grid" the candidates
            are ParameterGrid's, in its order. "auto" picks by tunesmith's rule for the space and
            budget (``n_trials``, else the number of candidates of a finite space, else 10): a
            finite grid within the budget is searched whole; ``study_.strategy`` shows the pick.
        n_trials: Candidates to evaluate. None: the whole grid for "grid"; three generations for a
            population strategy; else 10. Capped at the number of distinct candidates when finite; a
            strategy with nothing left to propose ends the fit early. A generation cut short by
            ``n_trials`` leaves its other members queued in the study.
        n_iter: Alias of ``n_trials``, as in RandomizedSearchCV; both given must agree.
        scoring: As in GridSearchCV.
        cv: As in GridSearchCV.
        refit: As in GridSearchCV.
        n_jobs: As in GridSearchCV.
        error_score: As in GridSearchCV.
        return_train_score: As in GridSearchCV.
        storage: Where the study lives: None (memory), "sqlite:///file.db", "postgresql://...".
            Prefer a URL to a Storage object: ``clone`` and pickling copy this parameter.
        study_name: The study's name; None picks a fresh one per fit. See "Fitting again".
        seed: Seed of the study: the same seed gives the same candidates.
        random_state: Alias of ``seed``, as in RandomizedSearchCV; a RandomState gives each fit a
            seed drawn from it. Giving both with different values is an error.
        pruner: A pruner (``prune(trial, history, directions)``): after the first batch,
            candidates run fold by fold and stop when it says so; their folds not run hold NaN in
            ``cv_results_`` (scores, times), rank last, and ``cv_results_["pruned"]`` marks them.
        verbose: As in GridSearchCV.
        pre_dispatch: As in GridSearchCV.

    Attributes:
        study_ (tunesmith.Study): Every candidate as a trial: its params (readable in
            ``user_attrs["params"]``), its mean test score (refit metric, else the first) as value,
            the running mean after each fold as intermediate values, user attr split_test_scores.

    Examples:
        >>> from sklearn import datasets, svm
        >>> from tunesmith import Float
        >>> from tunesmith.sklearn import SearchCV
        >>> search = SearchCV(svm.SVC(), {"C": Float(0.1, 10, log=True)}, n_trials=8, seed=0)
        >>> sorted(search.fit(*datasets.load_iris(return_X_y=True)).best_params_)
        ['C']
    """

    _parameter_constraints: dict = {
        **BASE_CONSTRAINTS,
        "space": [dict, list],
        "strategy": [str, HasMethods(["propose"]), type],
        "n_trials": [Interval(Integral, 1, None, closed="left"), None],
        "n_iter": [Interval(Integral, 1, None, closed="left"), None],
        "storage": [str, HasMethods(["claim", "read"]), None],
        "study_name": [str, None],
        "seed": [Interval(Integral, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "pruner": [HasMethods(["prune"]), None],
    }

    def __init__(
        self,
        estimator: Any,
        space: Any,
        *,
        strategy: str | Strategy = "auto",
        n_trials: int | None = None,
        n_iter: int | None = None,
        scoring: Any = None,
        cv: Any = None,
        refit: Any = True,
        n_jobs: int | None = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        storage: Any = None,
        study_name: str | None = None,
        seed: int | None = None,
        random_state: Any = None,
        pruner: Any = None,
        verbose: int = 0,
        pre_dispatch: Any = "2*n_jobs",
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.space = space
        self.strategy = strategy
        self.n_trials = n_trials
        self.n_iter = n_iter
        self.storage = storage
        self.study_name = study_name
        self.seed = seed
        self.random_state = random_state
        self.pruner = pruner

    def fit(self, X: Any, y: Any = None, **params: Any) -> SearchCV:
        """Search with cross-validation, then refit the best candidate on all of ``X``.

        Args:
            X: The samples.
            y: The targets; None for unsupervised estimators.
            **params: To the estimator's ``fit`` (split with the folds), the scorer and the
                splitter (``groups``).

        Returns:
            The fitted search itself.
        """
        self._search_inputs = (X, y, params)
        try:
            return super().fit(X, y, **params)
        finally:
            for key in [k for k in self.__dict__ if k.startswith("_search_")]:
                del self.__dict__[key]

    def __sklearn_tags__(self) -> Any:
        """GridSearchCV's tags, except that inputs are NumPy arrays: no array-API support."""
        tags = super().__sklearn_tags__()
        tags.array_api_support = False
        return tags

    def _run_search(self, evaluate_candidates: Any) -> None:
        X, y, params = self._search_inputs
        X, y = indexable(X, y)
        with warnings.catch_warnings():  # fit already warned about these parameters
            warnings.simplefilter("ignore")
            params = check_method_params(X, params=params)
            routed = routed_fit_params(self, params)
        # One split, reused by every batch, so a shuffling splitter gives every candidate the
        # same folds.
        folds = list(checked_cv(self).split(X, y, **routed.splitter.split))
        n_trials, seed = budget_and_seed(self)
        strategy, space = strategy_and_space(self.strategy, self.space, n_trials)
        budget = count_trials(strategy, space, n_trials)
        opened = functools.partial(
            open_search,
            self.estimator,
            space.space,
            strategy,
            storage=self.storage,
            study_name=self.study_name,
            seed=seed,
            pruner=self.pruner,
            key=fingerprint(self, (X, y, params), folds, budget, seed),
            n_trials=budget,
            n_splits=len(folds),
        )
        if self.pruner is not None:
            self._search_runner = FoldByFold(self, X, y, routed, folds)
        study, done = opened()
        new = self._search(evaluate_candidates, check_cv(folds), study, space, done, budget)
        if new == 0 and done:  # the stored search had nothing left to propose: it had ended
            study, done = opened(fresh=True)
            new = self._search(evaluate_candidates, check_cv(folds), study, space, done, budget)
        if new == 0:
            raise ValueError(f"SearchCV evaluated no candidates: {strategy!r} proposed none.")
        self.study_ = study

    def _search(
        self,
        evaluate_candidates: Any,
        cv: Any,
        study: Study,
        space: SearchSpace,
        done: list[FrozenTrial],
        budget: int,
    ) -> int:
        """Evaluate until the study holds ``budget`` or has nothing left; returns how many."""
        self._search_stored = [
            (space.decode(t.params), fold_outputs(t.user_attrs[FOLDS_ATTR]), t.state) for t in done
        ]
        study.strategy.plan(budget)
        runner = self.__dict__.get("_search_runner")
        n_jobs = max(1, effective_n_jobs(self.n_jobs))
        new = 0
        while len(done) + new < budget:
            remaining = budget - len(done) - new
            n = batch_size(study.strategy, remaining, n_jobs, self.pruner is not None)
            try:
                trials = study.ask_batch(n)
            except StudyExhausted:  # e.g. a finite space with every point taken
                break
            candidates = [space.decode(t.params) for t in trials]
            shown = [readable(c) if space.encoded else None for c in candidates]
            told: set[int] = set()
            try:
                if runner is not None and runner.ready:
                    runner.run(study, trials, candidates, shown, told)
                else:
                    self._evaluate(evaluate_candidates, cv, study, trials, candidates, shown, told)
            except BaseException as exc:
                fail_open(study, trials, told, exc)
                raise
            new += len(trials)
        return new

    def _evaluate(
        self,
        evaluate_candidates: Any,
        cv: Any,
        study: Study,
        trials: list,
        candidates: list[dict[str, Any]],
        shown: list[dict[str, Any] | None],
        told: set[int],
    ) -> None:
        """One batch through BaseSearchCV (all candidates and folds at once), then told."""
        runner = self.__dict__.get("_search_runner")
        more = {"pruned": [False] * len(trials)} if runner is not None else None
        results = evaluate_candidates(candidates, cv=cv, more_results=more)
        metric = self._metric(results)
        if runner is not None:
            runner.metric = metric
        first, n_splits = len(results["params"]) - len(trials), self.n_splits_
        outs = self._search_out[first * n_splits :]  # this batch's, candidate by candidate
        for i, trial in enumerate(trials):
            scores = [results[f"split{k}_test_{metric}"][first + i] for k in range(n_splits)]
            record(study, trial, scores, shown[i], outs[i * n_splits : (i + 1) * n_splits])
            told.add(trial.number)

    def _metric(self, results: dict[str, Any]) -> str:
        """The metric the study maximizes: the refit one, else the first."""
        names = [key[len("rank_test_") :] for key in results if key.startswith("rank_test_")]
        return self.refit if isinstance(self.refit, str) and self.refit in names else names[0]

    def _format_results(
        self, candidate_params: Any, n_splits: int, out: Any, more_results: Any = None
    ) -> dict[str, Any]:
        """BaseSearchCV's results, a resumed fit's stored candidates first (its first call)."""
        stored = self.__dict__.pop("_search_stored", None)
        if stored:
            candidate_params[:0] = [params for params, _, _ in stored]
            out[:0] = [fold for _, folds, _ in stored for fold in folds]
            if more_results is not None and "pruned" in more_results:
                more_results["pruned"][:0] = [state is TrialState.PRUNED for _, _, state in stored]
        self._search_out = out
        results = super()._format_results(candidate_params, n_splits, out, more_results)
        runner = self.__dict__.get("_search_runner")
        if runner is not None:
            runner.capture(candidate_params, out, more_results, results)
        return results
