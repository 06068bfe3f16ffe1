"""Which study a SearchCV fit searches in: a new one, the one an interrupted fit left, or a
fresh one in place of a finished or different search of the same name.

Rule: a fit's fingerprint is a hash of its data, folds and fit params and of every parameter
of the search except n_jobs, verbose, pre_dispatch, storage and study_name (the aliases count
as their originals); it is kept in the study's settings under ``extra["searchcv"]``. A named
study with the fit's fingerprint and fewer evaluated candidates than the budget is resumed:
its evaluated candidates are kept, the points of an interrupted batch are queued again, and
the fit evaluates the rest; if its strategy has nothing left to propose, the stored search
had ended after all. Any other study SearchCV made under that name (ended, or of other data
or settings) is deleted and the fit starts afresh. A study SearchCV did not make is
never touched: the fit is refused. A fit whose inputs cannot be hashed has no fingerprint and
always starts afresh.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Sequence
from typing import Any

import joblib

from tunesmith.records import StudySettings
from tunesmith.sklearn.folds import evaluated
from tunesmith.space import space_to_json, validate_space
from tunesmith.storage import DuplicatedStudyError, Storage, StudyNotFoundError, get_storage
from tunesmith.storage.base import StudyInfo
from tunesmith.strategies import Strategy, to_attrs
from tunesmith.strategies.base import params_key
from tunesmith.study import Study, load_study
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["SEARCH_KEY", "fingerprint", "open_search"]

logger = logging.getLogger("tunesmith")

SEARCH_KEY = "searchcv"  # the key of StudySettings.extra that holds the fit's fingerprint
_DIRECTIONS = ("maximize",)  # the mean test score
# Parameters that change how or where a fit runs, not what it finds; the budget and the seed
# are hashed once, resolved from their aliases.
_NOT_HASHED = frozenset(
    {"n_jobs", "verbose", "pre_dispatch", "storage", "study_name"}
    | {"n_trials", "n_iter", "seed", "random_state"}
)


def _stable(value: Any) -> Any:
    """``value`` with each scipy.stats frozen distribution replaced by its definition (the
    object itself points at a shared random state that changes as it is used)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if all(hasattr(value, a) for a in ("rvs", "dist", "args", "kwds")):
        return ("scipy.stats", type(value.dist).__name__, value.args, sorted(value.kwds.items()))
    return value


def fingerprint(
    search: Any, data: tuple, folds: Sequence[tuple], n_trials: int, seed: int | None
) -> str | None:
    """The fit's fingerprint (the module's rule); None when its inputs cannot be hashed, or
    when it has no ``study_name`` (a study named afresh is never resumed)."""
    if search.study_name is None:
        return None
    settings = {
        k: _stable(v) for k, v in search.get_params(deep=False).items() if k not in _NOT_HASHED
    }
    settings.update(n_trials=n_trials, seed=seed)
    try:
        return joblib.hash((data, [tuple(fold) for fold in folds], settings))
    except Exception:  # something that cannot be pickled: never resumed
        return None


def _stored(backend: Storage, name: str) -> StudyInfo | None:
    try:
        return backend.get_study(name)
    except StudyNotFoundError:
        return None


def _create(
    backend: Storage,
    name: str,
    space: dict[str, Any],
    strategy: Strategy,
    seed: int | None,
    pruner: Any,
    key: str | None,
) -> Study:
    """A new study holding the fit's fingerprint in its settings (made here rather than by
    ``create_study``, which has no place for it; no heartbeat and no retries: a resumed fit
    queues the points of an interrupted batch again itself)."""
    space = validate_space(space)
    strategy.for_directions(_DIRECTIONS).check(space, _DIRECTIONS)
    settings = StudySettings(
        seed=int(seed) if seed is not None else secrets.randbits(32),
        space=space_to_json(space),
        strategy=to_attrs(strategy),
        extra={SEARCH_KEY: {"fit": key}},
    )
    try:
        backend.create_study(name, list(_DIRECTIONS), settings.to_json())
    except DuplicatedStudyError:  # made in between by another process
        raise DuplicatedStudyError(
            f"The 'study_name' parameter of SearchCV names a study that another fit created in "
            f"{backend!r} at the same time: run one fit per study name at once. Got {name!r} "
            "instead."
        ) from None
    return load_study(name, backend, strategy=strategy, pruner=pruner)


def _requeue(study: Study, done: Sequence[FrozenTrial]) -> None:
    """Queue again each point of an interrupted batch (a trial failed without fold outputs, or
    left running by a killed process) that is neither evaluated nor waiting."""
    numbers = {t.number for t in done}
    seen = {params_key(t.params) for t in done}
    seen |= {params_key(t.params) for t in study.trials if t.state is TrialState.WAITING}
    for t in study.trials:
        if t.number in numbers or t.state is TrialState.WAITING:
            continue
        key = params_key(t.params)
        if key not in seen:
            seen.add(key)
            study.enqueue(t.params)


def open_search(
    estimator: Any,
    space: dict[str, Any],
    strategy: Strategy,
    *,
    storage: Any,
    study_name: str | None,
    seed: int | None,
    pruner: Any,
    key: str | None,
    n_trials: int,
    n_splits: int,
    fresh: bool = False,
) -> tuple[Study, list[FrozenTrial]]:
    """The fit's study and the candidates it holds already evaluated (the module's rule);
    ``fresh`` starts afresh even where the rule would resume."""
    backend = get_storage(storage)
    try:
        pruner = copy.deepcopy(pruner)
    except Exception:  # a pruner that cannot be copied is used as it is
        pass
    name = study_name or f"SearchCV-{type(estimator).__name__}-{secrets.token_hex(4)}"
    info = _stored(backend, name) if study_name is not None else None
    if info is not None:
        kept = info.settings.extra.get(SEARCH_KEY)
        if not isinstance(kept, dict):
            raise DuplicatedStudyError(
                f"The 'study_name' parameter of SearchCV names a study in {storage!r} that "
                "SearchCV did not create, which a fit never replaces: pick another name (or "
                f"None). Got {study_name!r} instead."
            )
        if not fresh and key is not None and kept.get("fit") == key:
            study = load_study(name, backend, strategy=strategy, pruner=pruner)
            done = evaluated(study.trials, n_splits)
            if len(done) < n_trials:
                _requeue(study, done)
                logger.info("SearchCV resumes study %r: %d candidates done", name, len(done))
                return study, done
        logger.info("SearchCV replaces study %r with a fresh search", name)
        backend.delete_study(info.study_id)
    return _create(backend, name, space, strategy, seed, pruner, key), []
