"""The Study: a named search whose ask -> evaluate -> tell loop talks to strategy and storage."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import make_url

from tunesmith.execution.heartbeat import Heartbeat, weakly
from tunesmith.interrupts import deferred
from tunesmith.owner import hold, this_process
from tunesmith.records import SystemKey
from tunesmith.space import Distribution
from tunesmith.storage import Proposal, Storage
from tunesmith.storage.base import StudyInfo
from tunesmith.strategies import Strategy
from tunesmith.study.adding import StudyAdding
from tunesmith.study.cache import TrialCache
from tunesmith.study.optimize import optimize
from tunesmith.study.results import StudyResults
from tunesmith.study.telling import StudyTelling
from tunesmith.study.waiting import WaitNotice, waiting_text
from tunesmith.trial import FrozenTrial, Trial, TrialState
from tunesmith.validation import is_int

__all__ = ["Study", "StudyExhausted"]


class StudyExhausted(RuntimeError):
    """The strategy has nothing left to propose (a grid fully claimed)."""


# Heartbeats of persistent studies unless the study says otherwise: a trial silent for the grace
# period belongs to a process that is gone (killed, or its host vanished).
DEFAULT_HEARTBEAT = 10.0
GRACE_HEARTBEATS = 4


class Study(StudyResults, StudyAdding, StudyTelling):
    """A named search: its directions, strategy, space, seed, and trials in a storage.

    Build one with ``create_study`` or ``load_study``. The study works on its own copy of the
    strategy (``Strategy.for_directions``), so the instance a user passes is never changed.

    Args:
        storage: The storage the study's trials are kept in.
        info: The stored study: name, directions and settings.
        strategy: The strategy; the study works on a copy for its directions.
        space: Parameter name -> distribution; empty for a define-by-run study.
        seed: Seed of the study's random stream.
        pruner: A pruner from ``tunesmith.pruners``, or None.
    """

    def __init__(
        self,
        storage: Storage,
        info: StudyInfo,
        strategy: Strategy,
        *,
        space: Mapping[str, Distribution],
        seed: int,
        pruner: Any = None,
    ):
        settings = info.settings
        interval = settings.heartbeat_interval
        if interval is None and storage.persistent:
            interval = DEFAULT_HEARTBEAT
        self.heartbeat_interval: float | None = interval or None  # 0 stored: off
        grace = settings.grace_period
        if self.heartbeat_interval and grace is None:
            grace = GRACE_HEARTBEATS * self.heartbeat_interval
        self.grace_period: float | None = grace if self.heartbeat_interval else None
        self.retries: int = settings.retries
        self._storage = storage
        self._info = info
        self.study_name = info.name
        self.directions = tuple(info.directions)
        self.strategy = strategy.for_directions(self.directions)
        self.space = dict(space)
        self.seed = seed
        self.pruner = pruner
        self._cache = TrialCache(declared=bool(self.space))
        self._live: dict[int, Trial] = {}  # trials this process asked and has not told
        self.put_back: list[int] = []  # trials the last interrupted optimize put back
        self.on_wait: WaitNotice | None = None  # told what a strategy waits for, while it waits
        self._start_threads()

    def _start_threads(self) -> None:
        self._lock = threading.RLock()  # guards _live
        self._heartbeat = None
        if self.heartbeat_interval:
            # Held weakly: a study dropped with trials still asked stops beating for them and
            # stops holding them, so this process (and other hosts) reap them after the grace
            # period; while it lives, a late heartbeat (queued behind other writers) is no loss.
            live_ids, beat = weakly(self._live_trial_ids, []), weakly(self._beat, None)
            self._heartbeat = Heartbeat(self.heartbeat_interval, live_ids, beat)
            hold(self, live_ids)

    def __repr__(self) -> str:
        return (
            f"Study(name={self.study_name!r}, directions={self.directions}, "
            f"strategy={self.strategy!r})"
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock and heartbeat thread (rebuilt on load)."""
        state = self.__dict__.copy()
        del state["_lock"], state["_heartbeat"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start_threads()

    @property
    def direction(self) -> str:
        if len(self.directions) != 1:
            raise RuntimeError("This study has several directions; read 'directions' instead.")
        return self.directions[0]

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file the study is stored in (rule: an absolute path), else None.

        Returns:
            The database file for ``sqlite:///PATH`` storage; None for memory, an in-memory
            SQLite database or PostgreSQL. Files that belong to the study (kept weights) go
            beside it.
        """
        url = getattr(self._storage, "url", None)
        if not isinstance(url, str):
            return None
        parsed = make_url(url)
        db = parsed.database
        if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:":
            return None
        return Path(db).absolute()

    # -- local cache ----------------------------------------------------------------------
    @property
    def _trials(self) -> list[FrozenTrial]:
        return self._cache.trials

    def _refresh(self) -> None:
        self._cache.refresh(self._storage, self._info.study_id)

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The declared space, or the one inferred from completed define-by-run trials."""
        return dict(self.space or self._cache.inferred)

    # -- ask ------------------------------------------------------------------------------
    def _propose(self, changes: list[FrozenTrial], first_number: int, n: int) -> list[Proposal]:
        self._cache.sync(changes)
        space = self.space or (
            dict(sorted(self._cache.inferred.items())) if self.strategy.learns_space else {}
        )
        rng = np.random.default_rng([self.seed, first_number])
        proposals = self.strategy.propose(self._trials, space, n, rng)
        tag = {SystemKey.BATCH: first_number}
        return [Proposal(p, {k: space[k] for k in p if k in space}, tag) for p in proposals]

    def _claim(self, n: int) -> list[Trial]:
        with deferred():  # claimed trials are in _live, or not claimed at all
            trials = self._claim_now(n)
        if self._heartbeat is not None and trials:
            self._heartbeat.ensure_running()
        return trials

    def _claim_now(self, n: int) -> list[Trial]:
        stale_before = None if self.grace_period is None else time.time() - self.grace_period
        claim = self._storage.claim(
            self._info.study_id,
            self._cache.cursor,
            n,
            self._propose,
            stale_before,
            self.retries,
            this_process(),
        )
        self._cache.sync(claim.changes)
        self._cache.sync(
            sorted(claim.claimed + claim.written, key=lambda t: t.number), claim.cursor
        )
        with self._lock:
            history = self._trials if self.pruner is not None else ()
            trials = [
                Trial(
                    t.number,
                    t.params,
                    t.distributions,
                    seed=self.seed,
                    pruner=self.pruner,
                    pruner_history=history,
                    directions=self.directions,
                    trial_id=t.trial_id,
                    declared=bool(self.space),
                )
                for t in claim.claimed
            ]
            for trial in trials:
                self._live[trial.number] = trial
        return trials

    def _live_trial_ids(self) -> list[int]:
        with self._lock:
            return [t.trial_id for t in self._live.values()]

    def _beat(self, trial_ids: Sequence[int], now: float) -> None:
        self._storage.heartbeat(self._info.study_id, trial_ids, now)

    def _exhausted(self) -> bool:
        return not self._cache.unfinished()

    def _ask_for_run(self, n: int, wait: bool, deadline: float | None) -> list[Trial]:
        """Claim up to ``n`` trials; [] when the strategy is exhausted (or waits and ``wait``).

        While the strategy waits for trials of other processes, ``on_wait`` hears what it waits
        for; each claim reaps trials whose owner is gone, so a wait on dead trials ends.
        """
        pause, waited = 0.005, 0.0
        while True:
            trials = self._claim(n)
            if trials or self._exhausted() or wait:
                if waited and self.on_wait is not None:
                    self.on_wait("")
                return trials
            if deadline is not None and time.monotonic() >= deadline:
                return []
            if self.on_wait is not None and waited >= 0.5:
                self.on_wait(self._waiting_text())
            # Trials of other processes must finish first: poll the storage, backing off.
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.5)

    def _waiting_text(self) -> str:
        """What the strategy waits for, e.g. "waiting for 2 trials running in other processes;
        oldest heartbeat 14 s ago"."""
        mine = set(self._live)
        others = [r for r in self._storage.running(self._info.study_id) if r.number not in mine]
        return waiting_text(others, self.grace_period, time.time())

    def _release(self, numbers: Sequence[int]) -> list[int]:
        """Put this process's asked trials back to WAITING (an interrupted run): the next run
        evaluates them first, with the same parameters. Returns the numbers put back."""
        with deferred():
            with self._lock:
                trials = [self._live.pop(n) for n in numbers if n in self._live]
            if not trials:
                return []
            self._storage.release(self._info.study_id, [t.trial_id for t in trials])
        self._refresh()
        # A trial whose tell was committed just before the interruption stays told.
        return [t.number for t in trials if self._trials[t.number].state is TrialState.WAITING]

    def ask(self) -> Trial:
        """Claim one trial to evaluate (a queued one first, else a new proposal).

        Returns:
            The trial; tell its result with ``tell``. Raises as ``ask_batch`` does.
        """
        return self.ask_batch(1)[0]

    def ask_batch(self, n: int) -> list[Trial]:
        """Claim up to ``n`` trials in one transaction, for evaluating a population at once.

        Args:
            n: The most trials to claim (at least 1).

        Returns:
            Between 1 and ``n`` trials.

        Raises:
            StudyExhausted: The strategy has nothing left to propose.
            RuntimeError: The strategy waits for running trials to be told first.
        """
        if not is_int(n) or n < 1:
            raise ValueError(
                f"The 'n' parameter of ask_batch must be an int >= 1. Got {n!r} instead."
            )
        trials = self._claim(int(n))
        if trials:
            return trials
        if self._exhausted():
            raise StudyExhausted(
                f"{self.strategy!r} has nothing left to propose in study {self.study_name!r}."
            )
        raise RuntimeError(
            f"{self.strategy!r} waits for the running trials to be told before it "
            "proposes more; tell them first."
        )

    # -- optimize -------------------------------------------------------------------------
    optimize = optimize  # the loop, in study/optimize.py
