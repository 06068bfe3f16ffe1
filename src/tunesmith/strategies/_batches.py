"""Reading the history batch by batch, and sizing generations to the batch and the budget.

Strategies that keep no state (GradientDescent, CMAES) rebuild it by walking the finished
batches in order; these helpers find the next batch and check that a cached walk still holds.
``batch_population`` and ``RunBudget`` size the generations of the generational strategies.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tunesmith.strategies.base import params_key
from tunesmith.trial import FrozenTrial, TrialState

__all__ = ["trial_key", "extends", "next_batch", "batch_population", "RunBudget"]


def batch_population(n: int, least: int) -> int:
    """The population that follows a batch of ``n``: the smallest multiple of ``n`` that is at
    least ``least`` (the default), so every batch is whole and a generation is never smaller."""
    n = max(n, 1)
    return n * -(-least // n)


class RunBudget:
    """What is left of the budget of the running ``optimize`` call (rule: the trials claimed
    since ``plan``), so a generation can be cut to it and a run leaves no trial WAITING."""

    def __init__(self) -> None:
        self.total: int | None = None  # trials the running optimize call may still ask for
        self.since = 0.0  # when it began (time.time())
        self.batched = False  # whether the run has asked for more than one trial at once

    def plan(self, n_trials: int | None) -> None:
        """Hear the budget of the coming ``optimize`` call (None: no limit)."""
        self.total = n_trials
        self.since = time.time()
        self.batched = False

    def cut(
        self, history: Sequence[FrozenTrial], size: int, n: int, batched_only: bool = False
    ) -> int:
        """``size``, cut to what is left of the run's budget but never below ``n``; with
        ``batched_only``, only in a run that has asked for more than one trial at once.

        The run has used the trials claimed since ``plan``: started since then, or WAITING in
        the history (a proposal comes only once the queue is empty, so those were claimed by
        this very call). A call once the budget is spent comes from outside the run (ask and
        tell after ``optimize``): it forgets the budget and gets whole generations again.
        """
        self.batched = self.batched or n > 1
        if self.total is None or (batched_only and not self.batched):
            return size
        since = self.since
        used = sum(
            1
            for t in history
            if t.state is TrialState.WAITING or (t.started is not None and t.started >= since)
        )
        left = self.total - used
        if left <= 0:
            self.total = None
            return size
        return min(size, max(n, left))


def trial_key(trial: FrozenTrial) -> tuple[int, str]:
    """What identifies a finished trial: its number and a text of its params, values and state."""
    return trial.number, params_key({"p": trial.params, "v": trial.values, "s": trial.state.value})


def extends(history: Sequence[FrozenTrial], pos: int, anchor: tuple[int, str] | None) -> bool:
    """Whether ``history`` continues the one read up to ``pos``, whose last batch ended with
    the trial ``anchor`` names (finished trials never change, so checking one is enough)."""
    if len(history) < pos:
        return False
    return anchor is None or trial_key(history[anchor[0]]) == anchor


def next_batch(
    history: Sequence[FrozenTrial], pos: int
) -> tuple[list[FrozenTrial] | None, int, bool]:
    """The first batch at or after ``pos``: (members, end, waiting).

    Members are the trials of one ``propose`` call, tagged with the number of the first; None
    when no batch is left, with ``waiting`` True when the batch has an unfinished member.
    Trials without a batch (enqueued) and retries of lost trials belong to none.
    """
    i = pos
    while i < len(history):
        first = history[i]
        if not _member(first, first.number):
            i += 1
            continue
        j = i + 1
        while j < len(history) and _member(history[j], first.number):
            j += 1
        members = list(history[i:j])
        if not all(m.state.finished for m in members):
            return None, i, True
        return members, j, False
    return None, i, False


def _member(trial: FrozenTrial, batch: int) -> bool:
    return trial.batch == batch and trial.retry_of is None
