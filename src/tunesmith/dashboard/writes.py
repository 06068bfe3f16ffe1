"""The dashboard's two writes, allowed only with ``--allow-writes``: a note on a finished trial
(its ``note`` user attribute) and a point enqueued into a study (checked against its space).

A write must come from the dashboard's own page (the rule against cross-site requests): a POST
carrying the ``X-Tunesmith-Write`` header, which a page of another origin cannot send without
a CORS preflight this server never grants, and an ``Origin``, when the browser sends one, that
is this server's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tunesmith.records import SystemKey, json_safe
from tunesmith.space import Distribution, Float
from tunesmith.storage import Proposal, Storage, StorageError, StudyNotFoundError
from tunesmith.storage.base import TrialNotFoundError

__all__ = ["WRITE_HEADER", "READ_ONLY", "WriteRefused", "check_origin", "check_point", "set_note"]

WRITE_HEADER = "X-Tunesmith-Write"
READ_ONLY = (
    "This dashboard is read-only: start it with `tunesmith dashboard --allow-writes` to add "
    "notes or enqueue points."
)
NOTE_MAX = 10_000


class WriteRefused(Exception):
    """A write this server does not make: ``status`` and the reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def check_origin(headers: Mapping[str, str], scheme: str) -> None:
    """WriteRefused (403) unless the request carries the write header and, if the browser
    names an origin or a fetch site, it is this server's own."""
    if headers.get(WRITE_HEADER) != "1":
        raise WriteRefused(403, f"A write must carry the {WRITE_HEADER}: 1 header.")
    origin = headers.get("origin")
    if origin is not None and origin != f"{scheme}://{headers.get('host', '')}":
        raise WriteRefused(403, f"A write from origin {origin!r} is refused (not this server).")
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise WriteRefused(403, "A write from another site is refused.")


def check_point(space: Mapping[str, Distribution], params: Any) -> dict[str, Any]:
    """``params`` as a point of ``space``: a JSON object setting every parameter to a value
    inside its distribution; ValueError naming the parameter and the rule."""
    if not space:
        raise ValueError("This study declares no space, so an enqueued point cannot be checked.")
    if not isinstance(params, dict):
        raise ValueError(
            f"The 'params' field of an enqueued point must be a JSON object. Got {params!r} "
            "instead."
        )
    for name in params:
        if name not in space:
            raise ValueError(f"The {name!r} parameter is not in the study's space {sorted(space)}.")
    for name, dist in space.items():
        if name not in params:
            raise ValueError(f"The {name!r} parameter must be given, inside {dist!r}.")
        value = params[name]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(dist, Float) and not (number and math.isfinite(value)):
            raise ValueError(
                f"The {name!r} parameter must be a finite number inside {dist!r}. Got "
                f"{value!r} instead."
            )
        if not dist.contains(value):
            raise ValueError(
                f"The {name!r} parameter must be inside {dist!r}. Got {value!r} instead."
            )
    return dict(params)


def enqueue_point(
    storage: Storage, study_id: int, space: Mapping[str, Distribution], params: dict[str, Any]
) -> int:
    """Queue the checked point ``params`` to run next; the number it got."""
    dists = {k: space[k] for k in params}
    proposal = Proposal(json_safe(params), dists, {SystemKey.ENQUEUED: True})
    return storage.enqueue(study_id, [proposal])[0].number


def check_note(note: Any) -> str:
    """The rule of a note: a string of at most NOTE_MAX characters."""
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        shown = note if not isinstance(note, str) else f"{len(note)} characters"
        raise ValueError(
            f"The 'note' field must be a string of at most {NOTE_MAX} characters. Got "
            f"{shown!r} instead."
        )
    return note


def set_note(backend: Storage, study_id: int, number: int, note: str) -> None:
    """Set (an empty note: remove) trial ``number``'s ``note`` user attribute; the storage
    records it as a change, so live pages see it."""
    try:
        backend.set_user_attr(study_id, number, "note", note or None)
    except TrialNotFoundError as exc:
        raise WriteRefused(404, str(exc)) from None
    except StudyNotFoundError:
        raise
    except StorageError as exc:
        raise WriteRefused(409, str(exc)) from None
