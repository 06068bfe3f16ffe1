"""SearchCV's study: recording each candidate as a trial, and pickling the study with it."""

from __future__ import annotations

import copy
import logging
import math
import secrets
import warnings
from collections.abc import Sequence
from typing import Any

from tunesmith.outcome import outcome_of
from tunesmith.storage import DuplicatedStudyError
from tunesmith.strategies import Strategy, resolve
from tunesmith.strategies.auto import choose
from tunesmith.study import Study, create_study, load_study
from tunesmith.trial import FrozenTrial, Trial, TrialState

__all__ = [
    "StudySnapshot",
    "fail_open",
    "open_study",
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


def open_study(
    estimator: Any,
    space: dict[str, Any],
    strategy: Strategy,
    storage: Any,
    study_name: str | None,
    seed: int | None,
    pruner: Any,
) -> Study:
    """A new study for one fit; a name already taken in ``storage`` is refused."""
    name = study_name or f"SearchCV-{type(estimator).__name__}-{secrets.token_hex(4)}"
    try:
        pruner = copy.deepcopy(pruner)
    except Exception:  # a pruner that cannot be copied is used as it is
        pass
    try:
        return create_study(
            name=name,
            storage=storage,
            direction="maximize",
            strategy=strategy,
            space=space,
            seed=seed,
            pruner=pruner,
        )
    except DuplicatedStudyError:
        raise DuplicatedStudyError(
            f"The 'study_name' parameter of SearchCV names a study that already exists in "
            f"{storage!r}: each fit starts a new study, so pick another name (or None). "
            f"Got {study_name!r} instead."
        ) from None


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
    pruned: bool = False,
) -> FrozenTrial:
    """Tell the study one candidate's outcome: its mean test score, or FAIL, or PRUNED.

    The running mean after each fold is reported as an intermediate value (step = fold), and
    the fold scores are kept as the ``split_test_scores`` user attr (None for a fold not run).
    Whether the mean completes the trial is ``tunesmith.outcome``'s rule, as for any objective.
    """
    scores = [float(s) for s in fold_scores]
    if not trial.intermediate:  # the pruning path reports as it goes
        for k in range(len(scores)):
            if not report_running_mean(trial, scores[: k + 1]):
                break
    trial.set_user_attr("split_test_scores", [s if math.isfinite(s) else None for s in scores])
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
    (params, values, states, intermediate values and user attrs; not the timestamps).
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
        for t in self.trials:
            if t.state.finished:
                _replay(study, t)
        for t in self.trials:
            if t.state is TrialState.WAITING:
                study.enqueue(t.params)
        return study


def _replay(study: Study, t: FrozenTrial) -> None:
    study.enqueue(t.params)
    live = study.ask()
    for step, value in sorted(t.intermediate.items()):
        live.report(value, step)
    for key, value in t.user_attrs.items():
        live.set_user_attr(key, value)
    if t.state is TrialState.COMPLETE and t.values is not None:
        study.tell(live, list(t.values))
    elif t.state is TrialState.PRUNED:
        study.tell(live, state=TrialState.PRUNED)
    else:
        study.tell(live, state=TrialState.FAIL, error=t.error)
