"""SearchCV with a pruner: candidates run one fold at a time, and hopeless ones stop early.

The first batch of a search goes through BaseSearchCV's ``evaluate_candidates`` as usual; its
``_format_results`` hands over the lists it accumulates (candidates, per-fold outputs, extra
columns) and the results dict ``fit`` will read at the end. Later batches run here, fold by
fold: after each fold every candidate reports its running mean test score and asks the study's
pruner whether to go on. Their outputs are appended to those same lists, with NaN scores and
times for the folds a pruned candidate did not run, and the results dict is rebuilt in place,
so ``cv_results_``, ``best_index_`` and the refit see every candidate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from joblib import Parallel, delayed
from sklearn.base import clone

from tunesmith.sklearn._compat import (
    BaseSearchCV,
    fit_and_score,
    fit_and_score_options,
    format_results,
    insert_error_scores,
    scorer_of,
    warn_or_raise_about_fit_failures,
)
from tunesmith.sklearn.study import record, report_running_mean
from tunesmith.study import Study
from tunesmith.trial import Trial

__all__ = ["FoldByFold", "metric_score"]


def metric_score(out: dict[str, Any], metric: str) -> float:
    """One fold's test score for ``metric`` from a fit-and-score output."""
    scores = out["test_scores"]
    return float(scores[metric] if isinstance(scores, dict) else scores)


def _nan_like(scores: Any) -> Any:
    return {name: math.nan for name in scores} if isinstance(scores, dict) else math.nan


def _not_run(template: dict[str, Any], n_test: int) -> dict[str, Any]:
    """The output of a fold a pruned candidate did not run: NaN scores and times."""
    out = dict(template)
    out.update(
        fit_time=math.nan,
        score_time=math.nan,
        test_scores=_nan_like(template["test_scores"]),
        n_test_samples=n_test,
        fit_error=None,
    )
    if "train_scores" in out:
        out["train_scores"] = _nan_like(template["train_scores"])
    return out


class FoldByFold:
    """Runs batches of candidates fold by fold for a SearchCV whose study has a pruner."""

    def __init__(self, search: BaseSearchCV, X: Any, y: Any, routed: Any, folds: Sequence):
        self.search = search
        self.X, self.y = X, y
        self.folds = list(folds)
        self.base = clone(search.estimator)
        self.kwargs = fit_and_score_options(
            scorer=scorer_of(search),
            fit_params=routed.estimator.fit,
            score_params=routed.scorer.score,
            return_train_score=search.return_train_score,
            return_n_test_samples=True,
            return_times=True,
            return_parameters=False,
            error_score=search.error_score,
            verbose=search.verbose,
        )
        self.metric = "score"
        self._lists: tuple[list, list, dict] | None = None
        self._results: dict[str, Any] | None = None

    @property
    def ready(self) -> bool:
        """Whether a first batch went through ``evaluate_candidates`` (so lists are known)."""
        return self._lists is not None

    def capture(self, params: list, out: list, more: dict | None, results: dict[str, Any]) -> None:
        """Keep the lists ``evaluate_candidates`` accumulates and the results ``fit`` reads."""
        if more is not None:
            self._lists = (params, out, more)
            self._results = results

    def run(
        self,
        study: Study,
        trials: Sequence[Trial],
        candidates: Sequence[dict[str, Any]],
        shown: Sequence[dict[str, Any] | None],
        told: set[int],
    ) -> None:
        """Evaluate one batch with pruning, tell the study, and extend the search's results."""
        outs, pruned = self._folds(trials, candidates)
        for i, row in enumerate(outs):
            template = row[0]
            assert template is not None  # every candidate runs its first fold
            row[:] = [
                o if o is not None else _not_run(template, len(self.folds[k][1]))
                for k, o in enumerate(row)
            ]
            scores = [metric_score(o, self.metric) for o in row]  # type: ignore[arg-type]
            record(study, trials[i], scores, shown[i], row, pruned=i in pruned)
            told.add(trials[i].number)
        self._extend(candidates, outs, [i in pruned for i in range(len(candidates))])

    def _folds(
        self, trials: Sequence[Trial], candidates: Sequence[dict[str, Any]]
    ) -> tuple[list[list[dict[str, Any] | None]], set[int]]:
        """Run the folds in turn, each for the candidates still going: the outputs (None for
        a fold not run) and the candidates pruned."""
        n_splits = len(self.folds)
        outs: list[list[dict[str, Any] | None]] = [[None] * n_splits for _ in candidates]
        active = list(range(len(candidates)))
        pruned: set[int] = set()
        parallel = Parallel(n_jobs=self.search.n_jobs, pre_dispatch=self.search.pre_dispatch)
        for k, (train, test) in enumerate(self.folds):
            if not active:
                break
            done = parallel(
                delayed(fit_and_score)(
                    clone(self.base),
                    self.X,
                    self.y,
                    train=train,
                    test=test,
                    parameters=candidates[i],
                    split_progress=(k, n_splits),
                    candidate_progress=(i, len(candidates)),
                    **self.kwargs,
                )
                for i in active
            )
            if callable(self.search.scoring):
                insert_error_scores(done, self.search.error_score)
            for i, out in zip(active, done):
                outs[i][k] = out
                run = outs[i][: k + 1]
                report_running_mean(trials[i], [metric_score(o, self.metric) for o in run])  # type: ignore[arg-type]
                if k < n_splits - 1 and trials[i].should_prune():
                    pruned.add(i)
            active = [i for i in active if i not in pruned]
        ran = [o for row in outs for o in row if o is not None]
        warn_or_raise_about_fit_failures(ran, self.search.error_score)
        return outs, pruned

    def _extend(self, candidates: Sequence[dict], outs: list[list], pruned: list[bool]) -> None:
        assert self._lists is not None and self._results is not None
        params, out, more = self._lists
        params.extend(candidates)
        for row in outs:
            out.extend(row)
        more["pruned"].extend(pruned)
        with warnings.catch_warnings():
            # pruned candidates have NaN means by design; the fits that failed were reported
            warnings.filterwarnings("ignore", message="One or more of the", category=UserWarning)
            fresh = format_results(self.search, params, len(self.folds), out, more)
        self._results.clear()
        self._results.update(fresh)
