"""Saying what a strategy waits for, so no run ever waits silently."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tunesmith.owner import describe_owner
from tunesmith.storage.base import Running

__all__ = ["WaitNotice", "waiting_text"]

# Told the waiting text while a run waits ("" once the wait is over).
WaitNotice = Callable[[str], None]


def waiting_text(running: Sequence[Running], grace_period: float | None, now: float) -> str:
    """ "waiting for 2 trials running in other processes; oldest heartbeat 14 s ago" (and when
    they count as lost), or what else the strategy waits for."""
    if not running:
        return "waiting for the strategy (no trial is running)"
    count = len(running)
    noun = "trial" if count == 1 else "trials"
    owners = {describe_owner(r.owner) for r in running if r.owner}
    where = f" ({', '.join(sorted(owners)[:2])}{', ...' if len(owners) > 2 else ''})"
    text = f"waiting for {count} {noun} running in other processes{where if owners else ''}"
    beats = [r.heartbeat for r in running if r.heartbeat is not None]
    if beats:
        age = max(0.0, now - min(beats))
        text += f"; oldest heartbeat {age:.0f} s ago"
        if grace_period is not None:
            text += f", lost after {grace_period:g} s"
    return text
