"""SearchCV's study: recording each candidate as a trial, and pickling the study with it."""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Sequence
from typing import Any

from tunesmith.outcome import outcome_of
from tunesmith.sklearn.folds import FOLDS_ATTR, fold_record
from tunesmith.strategies import Strategy, resolve
from tunesmith.strategies.auto import choose
from tunesmith.study import Study, create_study, load_study
from tunesmith.trial import FrozenTrial, Trial, TrialState

__all__ = [
    "PicklesStudy",
    "StudySnapshot",
    "fail_open",
    "pick_auto",
    "record",
    "report_running_mean",
    "resolve_strategy",
]

logger = logging.getLogger("tunesmith")


def resolve_strategy(strategy: Any) -> Strategy:
    """A fresh Strategy for one fit (an instance given by the user is copied, never shared)."""
    return copy.deepcopy(resolve(strategy, "SearchCV"))


def pick_auto(space: dict[str, Any], budget: int) -> Strategy:
    """What strategy="auto" runs for one fit: the technique Auto's rule picks for this space
    and budget, decided up front so the search knows whether it runs a grid."""
    name, reason = choose(space, budget, 1)
    logger.info("SearchCV strategy='auto' picked %s: %s", name, reason)
    return resolve(name, "SearchCV")


def report_running_mean(trial: Trial, scores: Sequence[float]) -> bool:
    """Report the mean of the folds run so far (step = last fold) when they are all finite."""
    if not scores or not all(math.isfinite(s) for s in scores):
        return False
    trial.report(sum(scores) / len(scores), len(scores) - 1)
    return True


def record(
    study: Study,
    trial: Trial,
    fold_scores: Sequence[float],
    readable_params: dict[str, Any] | None,
    outs: Sequence[dict[str, Any]],
    pruned: bool = False,
) -> FrozenTrial:
    """Tell the study one candidate's outcome: its mean test score, or FAIL, or PRUNED.

    The running mean after each fold is reported as an intermediate value (step = fold), the
    fold scores are kept as the ``split_test_scores`` user attr (None for a fold not run) and
    the folds' outputs ``outs`` as the ``cv_folds`` one (``sklearn.folds``' rule). Whether the
    mean completes the trial is ``tunesmith.outcome``'s rule, as for any objective.
    """
    scores = [float(s) for s in fold_scores]
    if not trial.intermediate:  # the pruning path reports as it goes
        for k in range(len(scores)):
            if not report_running_mean(trial, scores[: k + 1]):
                break
    trial.set_user_attr("split_test_scores", [s if math.isfinite(s) else None for s in scores])
    trial.set_user_attr(FOLDS_ATTR, fold_record(outs))
    if readable_params is not None:
        trial.set_user_attr("params", readable_params)
    if pruned:
        return study.tell(trial, state=TrialState.PRUNED)
    mean = sum(scores) / len(scores) if scores else math.nan
    outcome = outcome_of(trial, mean, 1)
    if outcome.state is TrialState.COMPLETE:
        return study.tell(trial, outcome.values)
    failed = sum(not math.isfinite(s) for s in scores)
    reason = f"{failed} of {len(scores)} folds gave a non-finite test score"
    return study.tell(trial, state=TrialState.FAIL, error=reason if failed else outcome.error)


def fail_open(study: Study, trials: Sequence[Trial], told: set[int], exc: BaseException) -> None:
    """Mark the trials of an interrupted batch as failed, keeping what was told."""
    for trial in trials:
        if trial.number not in told:
            try:
                study.tell(trial, state=TrialState.FAIL, error=f"{type(exc).__name__}: {exc}")
            except Exception:  # the original error matters more than this one
                pass


class StudySnapshot:
    """What a pickle keeps of a fitted SearchCV's study.

    A study in a SQL storage is reopened from its URL. A study in memory, or one whose
    database cannot be reopened, comes back as an in-memory copy with the same trials
    (params, values, states, errors, intermediate values, user attrs and timestamps), and
    the waiting ones queued again.
    """

    def __init__(self, study: Study, url: str | None):
        self.url = url
        self.name = study.study_name
        self.directions = study.directions
        self.space = study.space
        self.seed = study.seed
        self.strategy = study.strategy
        self.pruner = study.pruner
        self.trials = study.trials

    def restore(self) -> Study:
        if self.url is not None:
            try:
                return load_study(self.name, self.url, pruner=self.pruner)
            except Exception as exc:
                warnings.warn(
                    f"SearchCV could not reopen study {self.name!r} at {self.url} ({exc}); "
                    "study_ is an in-memory copy of its trials.",
                    UserWarning,
                    stacklevel=2,
                )
        study = create_study(
            name=self.name,
            directions=list(self.directions),
            strategy=copy.deepcopy(self.strategy),
            space=self.space,
            seed=self.seed,
            pruner=self.pruner,
        )
        study.add_trials([t for t in self.trials if t.state.finished])
        for t in self.trials:
            if t.state is TrialState.WAITING:
                study.enqueue(t.params)
        return study


class PicklesStudy:
    """Mixin of SearchCV: a pickle keeps ``study_`` as a ``StudySnapshot`` (its rule) and
    leaves out the state of a fit in progress (``_search_*``)."""

    storage: Any

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
        super().__setstate__(state)  # type: ignore[misc]
