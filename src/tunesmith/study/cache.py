"""A study's local copy of its trials, brought up to date with only what changed."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from tunesmith.space import Distribution
from tunesmith.storage import Storage
from tunesmith.trial import FrozenTrial, TrialState


class TrialCache:
    """Trials indexed by number, the storage revision they reflect, and the inferred space.

    Reads ask the storage only for trials changed after ``cursor`` (the storage contract), so
    keeping a study current costs the same at trial 10,000 as at trial 10.
    """

    def __init__(self, declared: bool):
        self.trials: list[FrozenTrial] = []
        self.inferred: dict[str, Distribution] = {}  # define-by-run: from completed trials
        self.cursor = 0
        self._declared = declared
        self.lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def sync(self, changes: Sequence[FrozenTrial], cursor: int | None = None) -> None:
        """Take in changed trials (dense numbering), and the revision they bring us to."""
        with self.lock:
            for t in changes:
                if t.number < len(self.trials):
                    self.trials[t.number] = t
                elif t.number == len(self.trials):
                    self.trials.append(t)
                else:  # cannot happen with dense numbering; refuse to guess
                    raise RuntimeError(f"Trial {t.number} arrived before trial {len(self.trials)}.")
                if t.state is TrialState.COMPLETE and not self._declared:
                    for name, dist in t.distributions.items():
                        self.inferred.setdefault(name, dist)
            if cursor is not None:
                self.cursor = max(self.cursor, cursor)

    def refresh(self, storage: Storage, study_id: int) -> None:
        """Read what changed in the storage since the last read."""
        changes, cursor = storage.read(study_id, self.cursor)
        self.sync(changes, cursor)

    def unfinished(self) -> bool:
        """Whether any trial is still RUNNING or WAITING."""
        return any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in self.trials)
