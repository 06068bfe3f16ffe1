"""The storage contract: a handful of methods, so a new backend is an afternoon's work.

A storage keeps studies and their trials as JSON. Every write bumps the study's revision, and a
reader asks only for what changed since the revision it last saw, so the cost of a trial does not
grow with the number of trials before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tunesmith.owner import describe_owner, owner_gone, runs_here
from tunesmith.records import StudySettings, SystemKey, dumps, json_safe
from tunesmith.space import Distribution
from tunesmith.trial import FrozenTrial, TrialState

__all__ = [
    "LOST_HEARTBEAT",
    "retry_proposal",
    "lost_reason",
    "Running",
    "Storage",
    "StudyInfo",
    "Proposal",
    "Claim",
    "StorageError",
    "TrialLostError",
    "lost_error",
    "DuplicatedStudyError",
    "StudyNotFoundError",
    "dumps",
    "json_safe",
]


LOST_HEARTBEAT = (
    "Lost heartbeat: the process running this trial stopped (killed, or its host vanished)."
)


class StorageError(RuntimeError):
    """A storage cannot be opened or used (wrong schema, not a tunesmith database, lost trial)."""


class TrialLostError(StorageError):
    """A result arrived for a trial another process had already failed as lost (its heartbeat
    was older than the grace period); the trial was queued again if retries allow."""


def lost_error(number: int, error: str | None, values: Any) -> TrialLostError:
    """The error for a result that arrived after its trial was failed as lost."""
    shown = ", ".join(map(repr, values)) if values is not None else "no value"
    return TrialLostError(
        f"Trial {number} was failed as lost by another process before its result ({shown}) "
        f"arrived: {error} It runs again if retries allow; this result is not stored."
    )


class DuplicatedStudyError(StorageError):
    """A study of that name already exists (pass ``load_if_exists=True`` to reopen it)."""


class StudyNotFoundError(StorageError, KeyError):
    """No study of that name in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(StorageError, KeyError):
    """No trial of that number in the study."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class StudyInfo:
    """A study's identity and settings as stored."""

    study_id: int
    name: str
    directions: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    n_trials: int = 0

    @property
    def settings(self) -> StudySettings:
        """The stored settings, read through their one owner (``StudySettings``)."""
        return StudySettings.from_json(self.attrs)


@dataclass(frozen=True)
class Proposal:
    """A parameter set a strategy proposed (or a user enqueued), not yet numbered."""

    params: dict[str, Any]
    distributions: dict[str, Distribution]
    system_attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """What one ask transaction returns: others' changes, the trials it wrote, the new cursor."""

    changes: list[FrozenTrial]
    claimed: list[FrozenTrial]
    written: list[FrozenTrial]
    cursor: int


@dataclass(frozen=True)
class Running:
    """A RUNNING trial as seen by others: who runs it and when it last said it was alive."""

    number: int
    owner: dict[str, Any] | None
    heartbeat: float | None


# propose(changes, first_number, n) -> proposals; called inside the ask transaction.
ProposeFn = Callable[[list[FrozenTrial], int, int], Sequence[Proposal]]


class Storage:
    """Interface every backend implements (memory, SQLite, PostgreSQL)."""

    persistent = True  # outlives the process: its studies get heartbeats by default

    def create_study(
        self, name: str, directions: Sequence[str], attrs: dict[str, Any]
    ) -> StudyInfo:
        raise NotImplementedError

    def get_study(self, name: str) -> StudyInfo:
        raise NotImplementedError

    def list_studies(self) -> list[StudyInfo]:
        raise NotImplementedError

    def enqueue(self, study_id: int, proposals: Sequence[Proposal]) -> list[FrozenTrial]:
        """Add WAITING trials that the next asks hand out before proposing anything new."""
        raise NotImplementedError

    def claim(
        self,
        study_id: int,
        since: int,
        n: int,
        propose: ProposeFn,
        stale_before: float | None = None,
        retries: int = 0,
        owner: dict[str, Any] | None = None,
    ) -> Claim:
        """In one transaction: fail RUNNING trials whose owner process on this host is gone or
        whose heartbeat is older than ``stale_before`` (queueing their retries), then hand out
        up to ``n`` WAITING trials, proposing more if needed; claimed trials record ``owner``."""
        raise NotImplementedError

    def release(self, study_id: int, trial_ids: Sequence[int]) -> int:
        """Put RUNNING trials back to WAITING (an interrupted run): the same number and
        parameters, handed out first by the next claim. Returns how many were put back."""
        raise NotImplementedError

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Record finished trials that were not run here, numbered after the existing ones."""
        raise NotImplementedError

    def set_study_attrs(self, study_id: int, attrs: dict[str, Any]) -> None:
        """Replace a study's stored settings (``--replace-strategy``)."""
        raise NotImplementedError

    def set_user_attr(self, study_id: int, number: int, key: str, value: Any) -> FrozenTrial:
        """Set one user attribute of finished trial ``number`` (``value`` None removes it), as
        a change readers see; a RUNNING or WAITING trial is refused (its end overwrites them)."""
        raise NotImplementedError

    def delete_study(self, study_id: int) -> None:
        """Remove a study and all its trials."""
        raise NotImplementedError

    def running(self, study_id: int) -> list[Running]:
        """The study's RUNNING trials with their owners and last heartbeats."""
        raise NotImplementedError

    def heartbeat(self, study_id: int, trial_ids: Sequence[int], now: float) -> None:
        """Mark RUNNING trials as alive at ``now``."""
        raise NotImplementedError

    def finish(
        self,
        study_id: int,
        trial: FrozenTrial,
        state: TrialState,
        values: tuple[float, ...] | None,
        error: str | None,
        finished: float,
    ) -> FrozenTrial:
        """Record a RUNNING trial's end (one transaction); refuses a trial already finished."""
        raise NotImplementedError

    def read(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        """Trials changed after revision ``since``, and the current revision."""
        raise NotImplementedError


def retry_proposal(trial: FrozenTrial, retries: int) -> Proposal | None:
    """The same parameters queued again, if the trial has retries left; else None."""
    done = int(trial.system_attrs.get(SystemKey.RETRY, 0))
    if done >= retries:
        return None
    attrs = {k: v for k, v in trial.system_attrs.items() if k not in SystemKey.RUN_RESULTS}
    attrs.update({SystemKey.RETRY: done + 1, SystemKey.RETRY_OF: trial.number})
    return Proposal(dict(trial.params), dict(trial.distributions), attrs)


def lost_reason(
    owner: dict[str, Any] | None,
    heartbeat: float | None,
    stale_before: float | None,
    trial_id: int,
) -> str | None:
    """Why a RUNNING trial is lost (its owner on this host is gone, or its heartbeat stopped and
    its owner is not known to run it); None while it may still be running."""
    if owner_gone(owner):
        return f"Lost: {describe_owner(owner)} ended (killed or crashed) while running this trial."
    stale = stale_before is not None and heartbeat is not None and heartbeat < stale_before
    if stale and not runs_here(owner, trial_id):
        return LOST_HEARTBEAT
    return None


def lost_attrs(system_attrs: dict[str, Any]) -> dict[str, Any]:
    """A lost trial's system attributes: marked as failed by the machine."""
    return {**system_attrs, SystemKey.LOST: True}


def check_user_attr_target(trial: FrozenTrial | None, number: int) -> FrozenTrial:
    """The trial whose user attribute may be set: it exists and has finished."""
    if trial is None:
        raise TrialNotFoundError(f"The study has no trial number {number}.")
    if trial.state in (TrialState.RUNNING, TrialState.WAITING):
        raise StorageError(
            f"Trial {number} is {trial.state.value}: user attributes are set on finished trials "
            "(the trial's end would overwrite them)."
        )
    return trial


def with_user_attr(attrs: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``attrs`` with ``key`` set to ``value`` (removed when ``value`` is None)."""
    out = dict(attrs)
    if value is None:
        out.pop(key, None)
    else:
        out[key] = value
    return out


def released_attrs(system_attrs: dict[str, Any]) -> dict[str, Any]:
    """A trial put back by an interruption: counted, without what its run produced."""
    out = {k: v for k, v in system_attrs.items() if k not in SystemKey.RUN_RESULTS}
    out[SystemKey.INTERRUPTED] = int(system_attrs.get(SystemKey.INTERRUPTED, 0)) + 1
    return out
