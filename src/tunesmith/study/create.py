"""Making and reopening studies: the settings they store, checked before anything is written."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.pruners import Hyperband
from tunesmith.records import StudySettings
from tunesmith.space import Distribution, space_from_json, space_to_json, validate_space
from tunesmith.storage import get_storage
from tunesmith.storage.base import DuplicatedStudyError
from tunesmith.strategies import from_attrs, resolve, to_attrs
from tunesmith.study.study import Study
from tunesmith.validation import check_create_args, check_directions

__all__ = ["create_study", "load_study", "delete_study"]


def create_study(
    name: str | None = None,
    storage: Any = None,
    direction: str | None = None,
    strategy: Any = "random",
    space: Mapping[str, Distribution] | None = None,
    seed: int | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str] | None = None,
    pruner: Any = None,
    heartbeat: float | None = None,
    grace_period: float | None = None,
    retries: int = 1,
) -> Study:
    """Create a study (or reopen it with ``load_if_exists=True``).

    Every running trial records its owner (host, process id, start time): a trial whose owner
    process on this host is gone is marked FAIL by the next ask on this host, at once. For other
    hosts, running trials tell the storage they are alive every ``heartbeat`` seconds (default:
    10 s for a database, off in memory; 0 turns it off); one silent for ``grace_period``
    (default four heartbeats) is marked FAIL by the next ask; a live process on this host keeps
    its trials however late its heartbeats land (they may queue behind other writers). A trial
    failed so (or whose worker process died) is run again with the same parameters up to
    ``retries`` times.

    Args:
        name: The study's name; a random ``study-xxxxxxxx`` when None.
        storage: None (in memory), a URL (``sqlite:///PATH``, ``postgresql://...``) or a
            Storage.
        direction: ``"minimize"`` (the default) or ``"maximize"``, for one objective.
        strategy: A Strategy instance, a Strategy class, or a name from ``STRATEGY_NAMES``.
        space: Parameter name -> ``Float``, ``Int`` or ``Choice``; None for a define-by-run
            study whose objective calls ``trial.suggest_*``.
        seed: Seed of the study's random stream; a random one when None.
        load_if_exists: Reopen a stored study of this name instead of raising.
        directions: One direction per objective, for a multi-objective study (not with
            ``direction``).
        pruner: A pruner from ``tunesmith.pruners``, or None for no pruning (with the
            ``bohb`` strategy: ``Hyperband()``, the schedule its model is built for).
        heartbeat: Seconds between a running trial's heartbeats; 0 turns them off.
        grace_period: Seconds of silence after which a running trial is marked FAIL.
        retries: How many times a trial lost with its worker is run again.

    Returns:
        The new (or reopened) study.

    Raises:
        ValueError: An argument breaks its rule; the message names it.
        DuplicatedStudyError: A study named ``name`` exists and ``load_if_exists`` is False.

    Examples:
        >>> import tunesmith as ts
        >>> study = ts.create_study(space={"x": ts.Float(-5, 5)}, strategy="tpe", seed=0)
        >>> study.optimize(lambda trial: trial.params["x"] ** 2, n_trials=20)
        >>> study.best_value < 1.0
        True
    """
    dirs = check_directions(direction, directions)
    space = validate_space(space)
    strat = resolve(strategy)
    check_create_args(name, seed, heartbeat, grace_period, retries)
    strat.for_directions(dirs).check(space, dirs)
    backend = get_storage(storage)
    name = name or f"study-{secrets.token_hex(4)}"
    settings = StudySettings(
        seed=int(seed) if seed is not None else secrets.randbits(32),
        space=space_to_json(space),
        strategy=to_attrs(strat),
        heartbeat_interval=heartbeat,
        grace_period=grace_period,
        retries=int(retries),
    )
    try:
        info = backend.create_study(name, dirs, settings.to_json())
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"A study named {name!r} already exists; pass load_if_exists=True to reopen it."
            ) from None
        return load_study(name, backend, strategy=strategy, pruner=pruner)
    pruner = _default_pruner(strat, pruner)
    return Study(backend, info, strat, space=space, seed=settings.seed, pruner=pruner)


def load_study(name: str, storage: Any, strategy: Any = None, pruner: Any = None) -> Study:
    """Reopen a stored study; its strategy, space and seed come back from the storage.

    A database that does not exist is an error (nothing is created).

    Args:
        name: The study's name.
        storage: A URL (``sqlite:///PATH``, ``postgresql://...``) or a Storage.
        strategy: Replaces the stored strategy (an instance, a class or a name) when given.
        pruner: A pruner from ``tunesmith.pruners``, or None for no pruning (with the
            ``bohb`` strategy: ``Hyperband()``, the schedule its model is built for).

    Returns:
        The study, with its trials loaded.

    Raises:
        StudyNotFoundError: No study of this name (or no database) in the storage.
    """
    backend = get_storage(storage, create=False)
    info = backend.get_study(name)
    settings = info.settings
    if strategy is not None:
        strat = resolve(strategy, "load_study")
    else:
        strat = from_attrs(settings.strategy)
    space = space_from_json(settings.space)
    pruner = _default_pruner(strat, pruner)
    study = Study(backend, info, strat, space=space, seed=settings.seed, pruner=pruner)
    study._refresh()
    return study


def delete_study(name: str, storage: Any) -> None:
    """Remove the study named ``name`` and all its trials from ``storage``.

    Args:
        name: The study's name.
        storage: A URL (``sqlite:///PATH``, ``postgresql://...``) or a Storage.

    Raises:
        StudyNotFoundError: No study of this name (or no database) in the storage.
    """
    backend = get_storage(storage, create=False)
    backend.delete_study(backend.get_study(name).study_id)


def _default_pruner(strategy: Any, pruner: Any) -> Any:
    """The pruner given; for BOHB without one, Hyperband (Falkner et al. 2018: the model is
    fitted on the budgets Hyperband's brackets produce)."""
    if pruner is None and getattr(strategy, "name", None) == "bohb":
        return Hyperband()
    return pruner
