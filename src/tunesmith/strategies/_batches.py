"""Reading the history batch by batch: the proposal batches a replaying strategy walks through.

Strategies that keep no state (GradientDescent, CMAES) rebuild it by walking the finished
batches in order; these helpers find the next batch and check that a cached walk still holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from tunesmith.strategies.base import params_key
from tunesmith.trial import FrozenTrial

__all__ = ["trial_key", "extends", "next_batch"]


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
