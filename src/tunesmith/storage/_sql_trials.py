"""Trial rows of the SQL storage: inserting, reaping lost trials, putting interrupted ones back.

Each function works inside a transaction the caller opened (and whose revision it bumped).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.engine import Connection

from tunesmith.storage import _sql_rows as q
from tunesmith.storage.base import (
    Proposal,
    Running,
    check_user_attr_target,
    dumps,
    lost_attrs,
    lost_reason,
    released_attrs,
    retry_proposal,
    with_user_attr,
)
from tunesmith.trial import FrozenTrial, TrialState


def insert(
    conn: Connection,
    study_id: int,
    number: int,
    p: Proposal,
    state: TrialState,
    started: float | None,
    revision: int,
    owner: str | None = None,
) -> FrozenTrial:
    """A new WAITING or RUNNING trial row for proposal ``p``."""
    params, dists, sys_attrs = dumps(p.params), q.dists_json(p.distributions), dumps(p.system_attrs)
    row = q.insert_row(study_id, number, params, dists, sys_attrs, state, started, revision, owner)
    trial_id = conn.execute(q.INSERT, row).inserted_primary_key[0]
    return FrozenTrial(
        number,
        state,
        json.loads(params),
        dict(p.distributions),
        system_attrs=json.loads(sys_attrs),
        started=started,
        trial_id=trial_id,
    )


def insert_finished(
    conn: Connection, study_id: int, number: int, trial: FrozenTrial, revision: int
) -> FrozenTrial:
    """A finished trial recorded as it is (``study.add_trial``), under the number given."""
    row = q.insert_row(
        study_id,
        number,
        dumps(trial.params),
        q.dists_json(trial.distributions),
        dumps(trial.system_attrs),
        trial.state,
        trial.started,
        revision,
    )
    row.update(
        values_json=None if trial.values is None else dumps(list(trial.values)),
        intermediate=dumps({str(k): v for k, v in trial.intermediate.items()}),
        user_attrs=dumps(trial.user_attrs),
        error=trial.error,
        finished=trial.finished,
        heartbeat=None,
    )
    trial_id = conn.execute(q.INSERT, row).inserted_primary_key[0]
    return q.row_to_trial(conn.execute(q.BY_IDS, {"ids": [trial_id]}).one())


def running(conn: Connection, study_id: int) -> list[Running]:
    rows = conn.execute(q.RUNNING_FULL, {"sid": study_id}).all()
    return [Running(r.number, _owner(r.owner), r.heartbeat) for r in rows]


def _owner(text: str | None) -> dict | None:
    try:
        owner = json.loads(text) if text else None
    except ValueError:
        return None
    return owner if isinstance(owner, dict) else None


def reap(
    conn: Connection,
    study_id: int,
    stale_before: float | None,
    retries: int,
    revision: int,
    number: int,
    now: float,
) -> int:
    """Fail the RUNNING trials that are lost (owner gone on this host, or heartbeat older than
    ``stale_before``) and queue their retries. Returns the next free trial number."""
    for row in conn.execute(q.RUNNING, {"sid": study_id}).all():
        reason = lost_reason(_owner(row.owner), row.heartbeat, stale_before, row.id)
        if reason is None:
            continue
        lost = q.row_to_trial(conn.execute(q.BY_IDS, {"ids": [row.id]}).one())
        system = lost_attrs(lost.system_attrs)
        conn.execute(
            q.MARK_FAILED,
            {
                "tid": row.id,
                "new_revision": revision,
                "new_finished": now,
                "new_error": reason,
                "new_system": dumps(system),
            },
        )
        retry = retry_proposal(lost, retries)
        if retry is not None:
            insert(conn, study_id, number, retry, TrialState.WAITING, None, revision)
            number += 1
    return number


def release(conn: Connection, study_id: int, trial_ids: Sequence[int], revision: int) -> int:
    """Put RUNNING trials back to WAITING with their parameters; returns how many."""
    count = 0
    for row in conn.execute(q.BY_IDS, {"ids": list(trial_ids)}).all():
        if row.study_id != study_id or row.state != TrialState.RUNNING.value:
            continue
        system = released_attrs(json.loads(row.system_attrs))
        args = {"tid": row.id, "new_revision": revision, "new_system": dumps(system)}
        count += conn.execute(q.RELEASE, args).rowcount
    return count


def set_user_attr(
    conn: Connection, study_id: int, number: int, key: str, value: object, revision: int
) -> FrozenTrial:
    """Set (None: remove) one user attribute of a finished trial, as a change at ``revision``."""
    row = conn.execute(q.BY_NUMBER, {"sid": study_id, "number": number}).first()
    trial = check_user_attr_target(None if row is None else q.row_to_trial(row), number)
    attrs = with_user_attr(trial.user_attrs, key, value)
    args = {"tid": trial.trial_id, "new_revision": revision, "new_user_attrs": dumps(attrs)}
    conn.execute(q.SET_USER_ATTRS, args)
    return q.row_to_trial(conn.execute(q.BY_IDS, {"ids": [trial.trial_id]}).one())
