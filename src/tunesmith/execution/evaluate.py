"""Evaluating trials: one objective call, or one batched call, turned into outcomes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tunesmith.outcome import TrialOutcome, failed, outcome_of, pruned
from tunesmith.trial import Trial, TrialPruned

__all__ = ["INTERRUPTIONS", "INTERRUPT_GRACE", "evaluate", "evaluate_batch"]

# Ctrl-C (KeyboardInterrupt) and SIGTERM (a SystemExit, see tunesmith.interrupts) stop a run:
# the trials it asked and did not finish are put back, never recorded as failures.
INTERRUPTIONS = (KeyboardInterrupt, SystemExit)
# Seconds the trials running in workers get to finish after an interruption.
INTERRUPT_GRACE = 3.0


def evaluate(
    objective: Callable[[Trial], Any],
    trial: Trial,
    n_objectives: int,
    catch: tuple[type[BaseException], ...],
) -> TrialOutcome:
    """Run ``objective(trial)``; any failure becomes a FAIL outcome with its reason."""
    try:
        raw = objective(trial)
    except TrialPruned:
        return pruned(trial, n_objectives)
    except INTERRUPTIONS:
        raise  # the run stops; the driver puts the trial back
    except BaseException as exc:  # noqa: BLE001 - every failure is recorded, then maybe re-raised
        return failed(trial, exc, catch)
    return outcome_of(trial, raw, n_objectives)


def evaluate_batch(
    objective: Callable[[list[Trial]], Any],
    trials: list[Trial],
    n_objectives: int,
    catch: tuple[type[BaseException], ...],
) -> list[TrialOutcome]:
    """Run a batched objective ``objective(trials) -> list of values``, one outcome per trial."""
    try:
        raw = objective(trials)
        raw = list(raw)
        if len(raw) != len(trials):
            raise ValueError(
                f"The batched objective returned {len(raw)} values for {len(trials)} trials."
            )
    except INTERRUPTIONS:
        raise
    except BaseException as exc:  # noqa: BLE001
        return [failed(t, exc, catch) for t in trials]
    out = []
    for trial, value in zip(trials, raw):
        if isinstance(value, TrialPruned):
            out.append(pruned(trial, n_objectives))
        elif isinstance(value, BaseException):
            out.append(failed(trial, value, catch))
        else:
            out.append(outcome_of(trial, value, n_objectives))
    return out
