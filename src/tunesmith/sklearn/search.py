"""``SearchCV``: a drop-in for scikit-learn's GridSearchCV, driven by a tunesmith study."""

from __future__ import annotations

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
from tunesmith.sklearn.pruning import FoldByFold
from tunesmith.sklearn.space import SearchSpace, readable
from tunesmith.sklearn.study import (
    StudySnapshot,
    fail_open,
    open_study,
    pick_auto,
    record,
    resolve_strategy,
)
from tunesmith.strategies import Strategy
from tunesmith.study import Study, StudyExhausted

__all__ = ["SearchCV"]

_DEFAULT_TRIALS = 10  # random and model-based strategies, like RandomizedSearchCV's n_iter
_DEFAULT_GENERATIONS = 3  # population strategies: three generations


class SearchCV(BaseSearchCV):
    """Cross-validated search over an estimator's parameters, proposed by a tunesmith strategy.

    Parameters
    ----------
    estimator : estimator object
        Cloned and fitted once per candidate and fold.
    space : dict or list of dicts
        Parameter names mapped to lists of options (GridSearchCV's ``param_grid``; a list of
        dicts is a union of sub-grids), tunesmith ``Float`` / ``Int`` / ``Choice``, or
        scipy.stats distributions (RandomizedSearchCV's ``param_distributions``). Options may
        be any objects, estimators included.
    strategy : str or Strategy, default="auto"
        "grid", "random", "genetic", "tpe", ... or a Strategy instance. With "grid" the
        candidates are ParameterGrid's, in its order. "auto" picks by tunesmith's rule for the
        space and budget (``n_trials``, else the number of candidates of a finite space, else
        10): a finite grid within the budget is searched whole, as GridSearchCV would;
        ``study_.strategy`` shows the pick.
    n_trials : int or None, default=None
        Candidates to evaluate. None: the whole grid for "grid"; three generations for a
        population strategy; else 10. Capped at the number of distinct candidates when finite.
        A generation cut short by ``n_trials`` leaves its other members queued in the study.
    scoring, cv, refit, n_jobs, error_score, return_train_score, verbose, pre_dispatch
        As in GridSearchCV.
    storage : str, Storage or None, default=None
        Where the study lives: None (memory), "sqlite:///file.db", "postgresql://...". Prefer
        a URL to a Storage object: ``clone`` and pickling copy this parameter.
    study_name : str or None, default=None
        The study's name; None picks a fresh one per fit. A name already in ``storage`` is
        refused.
    seed : int or None, default=None
        Seed of the study: the same seed gives the same candidates.
    pruner : object with ``prune(trial, history, directions)``, default=None
        With a pruner, candidates after the first batch run one fold at a time and stop when
        the pruner says so; their folds not run hold NaN in ``cv_results_`` (scores and
        times), they rank last, and ``cv_results_["pruned"]`` marks them.

    Attributes
    ----------
    study_ : tunesmith.Study
        Every candidate as a trial: its params (``user_attrs["params"]`` holds them readably
        when the study stores indexes or unit values), its mean test score as value (the refit
        metric, or the first one, for several metrics), the running mean after each fold as
        intermediate values, and ``user_attrs["split_test_scores"]``.

    The rest (``cv_results_``, ``best_params_``, ``best_score_``, ``best_index_``,
    ``best_estimator_``, ``refit_time_``, ``scorer_``, ``n_splits_``, ``multimetric_``,
    ``classes_``, ``n_features_in_``, and delegated ``predict`` ...) is GridSearchCV's.
    """

    _parameter_constraints: dict = {
        **BASE_CONSTRAINTS,
        "space": [dict, list],
        "strategy": [str, HasMethods(["propose"]), type],
        "n_trials": [Interval(Integral, 1, None, closed="left"), None],
        "storage": [str, HasMethods(["claim", "read"]), None],
        "study_name": [str, None],
        "seed": [Interval(Integral, 0, None, closed="left"), None],
        "pruner": [HasMethods(["prune"]), None],
    }

    def __init__(
        self,
        estimator: Any,
        space: Any,
        *,
        strategy: str | Strategy = "auto",
        n_trials: int | None = None,
        scoring: Any = None,
        cv: Any = None,
        refit: Any = True,
        n_jobs: int | None = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        storage: Any = None,
        study_name: str | None = None,
        seed: int | None = None,
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
        self.storage = storage
        self.study_name = study_name
        self.seed = seed
        self.pruner = pruner

    def fit(self, X: Any, y: Any = None, **params: Any) -> SearchCV:
        """Search with cross-validation, then refit the best candidate on all of ``X``.

        ``params`` go to the estimator's ``fit`` (split with the folds), the scorer and the
        splitter (``groups``), as in GridSearchCV.
        """
        self._search_inputs = (X, y, params)
        try:
            return super().fit(X, y, **params)
        finally:
            self.__dict__.pop("_search_inputs", None)
            self.__dict__.pop("_search_runner", None)

    def __sklearn_tags__(self) -> Any:
        """GridSearchCV's tags, except that inputs are NumPy arrays: no array-API support."""
        tags = super().__sklearn_tags__()
        tags.array_api_support = False
        return tags

    # -- the search ------------------------------------------------------------------------
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
        cv = check_cv(folds)
        strategy, space = self._strategy_and_space()
        study = open_study(
            self.estimator,
            space.space,
            strategy,
            self.storage,
            self.study_name,
            self.seed,
            self.pruner,
        )
        n_trials = self._count_trials(strategy, space)
        strategy.plan(n_trials)
        runner = FoldByFold(self, X, y, routed, folds) if self.pruner is not None else None
        self._search_runner = runner
        n_jobs = max(1, effective_n_jobs(self.n_jobs))
        done = 0
        while done < n_trials:
            try:
                trials = study.ask_batch(self._batch_size(strategy, n_trials - done, n_jobs))
            except StudyExhausted:
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
            done += len(trials)
        if done == 0:
            raise ValueError(f"SearchCV evaluated no candidates: {strategy!r} proposed none.")
        self.study_ = study

    def _strategy_and_space(self) -> tuple[Strategy, SearchSpace]:
        """This fit's strategy ("auto" decided up front) and the study's space for it."""
        strategy = resolve_strategy(self.strategy)
        if strategy.name == "auto":
            probe = SearchSpace(self.space, grid=False)
            budget = self.n_trials or probe.size or _DEFAULT_TRIALS
            strategy = pick_auto(probe.space, budget)
        grid = strategy.name == "grid"
        n_points = getattr(strategy, "n_points", None) if grid else None
        return strategy, SearchSpace(self.space, grid=grid, n_points=n_points)

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
        first = len(results["params"]) - len(trials)
        for i, trial in enumerate(trials):
            scores = [results[f"split{k}_test_{metric}"][first + i] for k in range(self.n_splits_)]
            record(study, trial, scores, shown[i])
            told.add(trial.number)

    def _count_trials(self, strategy: Strategy, space: SearchSpace) -> int:
        """How many candidates this fit evaluates (at most)."""
        if strategy.name == "grid":
            size = space.size
            if space.mode != "listed" and hasattr(strategy, "points"):
                size = len(strategy.points(space.space))  # Grid(n_points=...) decides
            assert size is not None
            return min(self.n_trials, size) if self.n_trials is not None else size
        if self.n_trials is not None:
            return self.n_trials
        population = getattr(strategy, "population_size", None)
        n = _DEFAULT_GENERATIONS * population if population else _DEFAULT_TRIALS
        return min(n, space.size) if space.size is not None else n

    def _batch_size(self, strategy: Strategy, remaining: int, n_jobs: int) -> int:
        """Candidates per ask: all at once for grid and random, a generation for population
        strategies, ``n_jobs`` for model-based ones and with a pruner."""
        if self.pruner is not None:
            return min(remaining, n_jobs)
        if strategy.name in ("grid", "random"):
            return remaining
        population = getattr(strategy, "population_size", None)
        return min(remaining, population or n_jobs)

    def _metric(self, results: dict[str, Any]) -> str:
        """The metric the study maximizes: the refit one, else the first."""
        names = [key[len("rank_test_") :] for key in results if key.startswith("rank_test_")]
        return self.refit if isinstance(self.refit, str) and self.refit in names else names[0]

    def _format_results(
        self, candidate_params: Any, n_splits: int, out: Any, more_results: Any = None
    ) -> dict[str, Any]:
        results = super()._format_results(candidate_params, n_splits, out, more_results)
        runner = self.__dict__.get("_search_runner")
        if runner is not None:
            runner.capture(candidate_params, out, more_results, results)
        return results

    # -- pickling --------------------------------------------------------------------------
    def _storage_url(self) -> str | None:
        if isinstance(self.storage, str):
            return self.storage
        return getattr(self.storage, "url", None)

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in super().__getstate__().items() if not k.startswith("_search_")}
        if isinstance(state.get("study_"), Study):
            state["study_"] = StudySnapshot(state["study_"], self._storage_url())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("study_"), StudySnapshot):
            state = {**state, "study_": state["study_"].restore()}
        super().__setstate__(state)
