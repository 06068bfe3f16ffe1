"""Prepared statements and row conversion for the SQL storage."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update

from tunesmith.space import Distribution
from tunesmith.storage.base import StorageError, dumps
from tunesmith.storage.schema import studies_table, trials_table
from tunesmith.trial import FrozenTrial, TrialState

_T = trials_table.c
_S = studies_table.c

# Statements built once; SQLAlchemy caches their compiled form, so a trial costs only execution.
BUMP = (
    update(studies_table)
    .where(_S.id == bindparam("sid"))
    .values(revision=_S.revision + 1)
    .returning(_S.revision, _S.next_number)
)
SET_NEXT = (
    update(studies_table).where(_S.id == bindparam("sid")).values(next_number=bindparam("next"))
)
CHANGES = (
    select(trials_table)
    .where(_T.study_id == bindparam("sid"), _T.revision > bindparam("since"))
    .order_by(_T.number)
)
WAITING = (
    select(_T.id)
    .where(_T.study_id == bindparam("sid"), _T.state == TrialState.WAITING.value)
    .order_by(_T.number)
    .limit(bindparam("n"))
)
INSERT = trials_table.insert()
REVISION = select(_S.revision).where(_S.id == bindparam("sid"))
FINISH = (
    update(trials_table)
    .where(_T.id == bindparam("tid"), _T.state == TrialState.RUNNING.value)
    .values(
        state=bindparam("new_state"),
        params=bindparam("new_params"),
        distributions=bindparam("new_dists"),
        values_json=bindparam("new_values"),
        intermediate=bindparam("new_intermediate"),
        user_attrs=bindparam("new_user_attrs"),
        error=bindparam("new_error"),
        finished=bindparam("new_finished"),
        revision=bindparam("new_revision"),
    )
    .returning(_T.started, _T.system_attrs)
)
SET_SYSTEM = (
    update(trials_table)
    .where(_T.id == bindparam("tid"))
    .values(system_attrs=bindparam("new_system"))
)


_decode = json.JSONDecoder().decode  # json.loads without its per-call argument handling


def _object(text: str) -> Any:
    """A JSON object column; most trials store "{}" (no reports, no attributes)."""
    return {} if text == "{}" else _decode(text)


@lru_cache(maxsize=4096)
def _parse_dists(text_: str) -> dict[str, Distribution]:
    return {k: Distribution.from_json(v) for k, v in json.loads(text_).items()}


def row_to_trial(row: Any) -> FrozenTrial:
    """A trial row as a FrozenTrial; a damaged column is one StorageError naming where it is."""
    column = "state"
    try:
        state = TrialState(row.state)
        column = "params"
        params = _decode(row.params)
        column = "distributions"
        dists = dict(_parse_dists(row.distributions))
        column = "values_json"
        values = _decode(row.values_json) if row.values_json is not None else None
        if values is not None:
            if type(values) is not list:
                raise TypeError(f"expected a JSON list, found {type(values).__name__}")
            values = tuple(values)
        column = "intermediate"
        intermediate = {int(k): v for k, v in _object(row.intermediate).items()}
        column = "user_attrs"
        user_attrs = _object(row.user_attrs)
        column = "system_attrs"
        system_attrs = _object(row.system_attrs)
        if not (type(params) is type(user_attrs) is type(system_attrs) is dict):
            objects = {"params": params, "user_attrs": user_attrs, "system_attrs": system_attrs}
            column, loaded = next((c, v) for c, v in objects.items() if type(v) is not dict)
            raise TypeError(f"expected a JSON object, found {type(loaded).__name__}")
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise StorageError(
            f"Trial {row.number} of study id {row.study_id} is damaged: its {column!r} column "
            f"cannot be read ({type(exc).__name__}: {exc})."
        ) from None
    return FrozenTrial(
        number=row.number,
        state=state,
        params=params,
        distributions=dists,
        values=values,
        intermediate=intermediate,
        user_attrs=user_attrs,
        system_attrs=system_attrs,
        error=row.error,
        started=row.started,
        finished=row.finished,
        trial_id=row.id,
    )


def dists_json(dists: dict[str, Distribution]) -> str:
    return dumps({k: d.to_json() for k, d in dists.items()})


HEARTBEAT = (
    update(trials_table)
    .where(_T.id.in_(bindparam("ids", expanding=True)), _T.state == TrialState.RUNNING.value)
    .values(heartbeat=bindparam("now"))
)
RUNNING = select(_T.id, _T.owner, _T.heartbeat).where(
    _T.study_id == bindparam("sid"), _T.state == TrialState.RUNNING.value
)
RUNNING_FULL = (
    select(_T.number, _T.owner, _T.heartbeat)
    .where(_T.study_id == bindparam("sid"), _T.state == TrialState.RUNNING.value)
    .order_by(_T.number)
)
MARK_FAILED = (
    update(trials_table)
    .where(_T.id == bindparam("tid"), _T.state == TrialState.RUNNING.value)
    .values(
        state=TrialState.FAIL.value,
        error=bindparam("new_error"),
        finished=bindparam("new_finished"),
        system_attrs=bindparam("new_system"),
        revision=bindparam("new_revision"),
    )
)
RELEASE = (
    update(trials_table)
    .where(_T.id == bindparam("tid"), _T.state == TrialState.RUNNING.value)
    .values(
        state=TrialState.WAITING.value,
        started=None,
        heartbeat=None,
        owner=None,
        intermediate="{}",
        system_attrs=bindparam("new_system"),
        revision=bindparam("new_revision"),
    )
)
DELETE_TRIALS = trials_table.delete().where(_T.study_id == bindparam("sid"))
DELETE_STUDY = studies_table.delete().where(_S.id == bindparam("sid"))
CLAIM_WAITING = (
    update(trials_table)
    .where(_T.id.in_(bindparam("ids", expanding=True)))
    .values(
        state=TrialState.RUNNING.value,
        started=bindparam("now"),
        heartbeat=bindparam("now"),
        owner=bindparam("owner"),
        revision=bindparam("new_revision"),
    )
)
BY_IDS = select(trials_table).where(_T.id.in_(bindparam("ids", expanding=True))).order_by(_T.number)


def insert_row(
    study_id: int,
    number: int,
    params: str,
    dists: str,
    sys_attrs: str,
    state: TrialState,
    started: float | None,
    revision: int,
    owner: str | None = None,
) -> dict[str, Any]:
    """The column values of a new trial row."""
    return {
        "study_id": study_id,
        "number": number,
        "state": state.value,
        "params": params,
        "distributions": dists,
        "values_json": None,
        "intermediate": "{}",
        "user_attrs": "{}",
        "system_attrs": sys_attrs,
        "error": None,
        "started": started,
        "finished": None,
        "heartbeat": started,
        "owner": owner,
        "revision": revision,
    }


BY_NUMBER = select(trials_table).where(
    _T.study_id == bindparam("sid"), _T.number == bindparam("number")
)
SET_USER_ATTRS = (
    update(trials_table)
    .where(_T.id == bindparam("tid"))
    .values(user_attrs=bindparam("new_user_attrs"), revision=bindparam("new_revision"))
)
