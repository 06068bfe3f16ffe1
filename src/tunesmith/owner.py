"""Who runs a trial: this process's identity, and whether a recorded owner is still alive.

A RUNNING trial stores its owner: host, process id and the process's start time. A process on
the same host (same kernel boot and process-id namespace) can tell at once whether that owner
still exists; trials of other hosts are judged by their heartbeats instead. A live owner on this
host is never judged by its heartbeat: its beats may queue behind other writers for longer than
the grace period (32 drivers on one SQLite file), and reaping it would run its trial twice.
Within this process, the studies that hold asked trials are known, so a trial no study holds
any more (its study was dropped) is still reaped once its heartbeat is stale.
"""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["this_process", "owner_gone", "runs_here", "hold", "describe_owner"]

# Objects of this process that hold asked, untold trials (studies), each with a function that
# gives their trial ids. Weak: a dropped study stops holding its trials.
_holders: weakref.WeakKeyDictionary[Any, Callable[[], Sequence[int]]] = weakref.WeakKeyDictionary()
_holders_lock = threading.Lock()


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


@lru_cache(maxsize=1)
def _host() -> str:
    """Hostname, plus the kernel boot id and pid namespace where the system exposes them: two
    processes with the same host string share one table of process ids."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return "/".join(part for part in (socket.gethostname(), boot, namespace) if part)


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where unknown."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    # The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@lru_cache(maxsize=4)
def _process(pid: int) -> dict[str, Any]:
    return {"host": _host(), "pid": pid, "start": _start_time(pid)}


def this_process() -> dict[str, Any]:
    """The owner record of the calling process (recomputed after a fork)."""
    return dict(_process(os.getpid()))


def owner_gone(owner: Mapping[str, Any] | None) -> bool:
    """True when ``owner`` ran on this host and its process no longer exists (killed,
    crashed, or its pid reused by another process). False when alive or on another host."""
    if not owner or owner.get("host") != _host():
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return owner.get("start") != _process(pid)["start"]
    start = _start_time(pid)
    if start:
        return start != owner.get("start")
    if os.path.isdir("/proc/self"):
        return True  # /proc is there and has no entry for the pid: the process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by another user
    return False


def hold(holder: Any, trial_ids: Callable[[], Sequence[int]]) -> None:
    """Record that ``holder`` (kept weakly) runs the trials ``trial_ids()`` in this process."""
    with _holders_lock:
        _holders[holder] = trial_ids


def _held_here(trial_id: int) -> bool:
    with _holders_lock:
        sources = list(_holders.values())
    return any(trial_id in source() for source in sources)


def runs_here(owner: Mapping[str, Any] | None, trial_id: int) -> bool:
    """True when trial ``trial_id`` is known to be running: its owner is a live process on this
    host other than this one, or it is this process and one of its studies holds the trial."""
    if not owner or owner.get("host") != _host() or owner_gone(owner):
        return False
    if owner.get("pid") == os.getpid():
        return _held_here(trial_id)
    return True


def describe_owner(owner: Mapping[str, Any] | None) -> str:
    """``process 1234 on host-name`` for messages."""
    if not owner:
        return "an unknown process"
    host = str(owner.get("host", "?")).split("/")[0]
    return f"process {owner.get('pid', '?')} on {host}"
