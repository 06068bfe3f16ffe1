"""What a comparison holds: every evaluation of every run, by technique and seed.

Data only: the lowest module of ``tunesmith.compare``. The table, the report and the terminal
summary are added by ``tunesmith.compare.comparison.Comparison``, which sits above them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tunesmith.space import Distribution, validate_space

__all__ = [
    "Evaluation",
    "RunRecord",
    "ComparisonData",
    "study_name",
    "parse_study_name",
    "check_space",
    "sequence_of_ints",
]


@dataclass(frozen=True)
class Evaluation:
    """One call of the objective: its value (None when it failed), time inside it, parameters.

    ``wall`` is the time of the run spent on this evaluation: from the end of the previous one
    (or the start of the run) to the end of this one, so it includes the framework's work.
    ``error`` says why a failed evaluation failed (``"ValueError: ..."``).

    Attributes:
        value: The objective's value; None when it failed.
        seconds: Time inside the objective.
        params: The parameters it was called with.
        wall: Time of the run spent on this evaluation.
        error: Why it failed.
    """

    value: float | None
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    wall: float | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the evaluation gave no value."""
        return self.value is None


@dataclass
class RunRecord:
    """One technique run once with one seed: its evaluations in order, and its wall time.

    Attributes:
        technique: The technique's name.
        seed: The run's seed.
        evaluations: Every call of the objective, in order.
        wall: The run's wall time, in seconds.
        note: How the technique was set up.
        caveat: Why the technique cannot show itself at this budget (empty: it can).
    """

    technique: str
    seed: int
    evaluations: list[Evaluation]
    wall: float
    note: str = ""
    caveat: str = ""  # why the technique cannot show itself at this budget (empty: it can)

    @property
    def objective_seconds(self) -> float:
        """Time spent inside the objective."""
        return float(sum(e.seconds for e in self.evaluations))

    @property
    def overhead(self) -> float:
        """Wall time minus time inside the objective: what the technique itself cost."""
        return max(self.wall - self.objective_seconds, 0.0)


@dataclass
class ComparisonData:
    """The runs of several techniques on one objective, same budget and seeds for each.

    ``skipped`` names the techniques that could not run and why. ``objective`` is kept (when
    known) so a report can draw the objective's contours; it is never stored.
    """

    name: str
    direction: str
    space: dict[str, Distribution]
    budget: int
    seeds: list[int]
    techniques: list[str]
    records: list[RunRecord]
    skipped: dict[str, str] = field(default_factory=dict)
    objective: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def runs(self, technique: str) -> list[RunRecord]:
        """The runs of ``technique``, by seed."""
        return sorted((r for r in self.records if r.technique == technique), key=lambda r: r.seed)


def study_name(comparison: str, technique: str, seed: int) -> str:
    """The storage name of one run: ``{comparison}/{technique}/seed{seed}``."""
    return f"{comparison}/{technique}/seed{seed}"


def parse_study_name(name: str, comparison: str) -> tuple[str, int] | None:
    """(technique, seed) of a study of ``comparison``; None for any other study."""
    prefix = f"{comparison}/"
    if not name.startswith(prefix):
        return None
    technique, sep, tail = name[len(prefix) :].rpartition("/seed")
    if not sep or not technique or "/" in technique or not tail.isdigit():
        return None
    return technique, int(tail)


def check_space(space: Mapping[str, Any] | None, owner: str) -> dict[str, Distribution]:
    """A declared, non-empty space (compare needs one: grids and peers read it)."""
    checked = validate_space(space, owner)
    if not checked:
        raise ValueError(
            f"The 'space' parameter of {owner} must be a non-empty dict of names to Float, "
            "Int or Choice: every technique, grids and peers included, searches the same "
            f"declared space. Got {space!r} instead."
        )
    return checked


def sequence_of_ints(seeds: int | Sequence[int], owner: str) -> list[int]:
    """``seeds`` as a list: K means seeds 0 .. K-1."""
    if isinstance(seeds, bool):
        raise ValueError(f"The 'seeds' parameter of {owner} must be an int >= 1. Got {seeds!r}.")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(
                f"The 'seeds' parameter of {owner} must be an int >= 1 or a list of ints. "
                f"Got {seeds!r} instead."
            )
        return list(range(seeds))
    out = list(seeds)
    if not out or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in out):
        raise ValueError(
            f"The 'seeds' parameter of {owner} must be an int >= 1 or a non-empty list of "
            f"ints >= 0. Got {seeds!r} instead."
        )
    if len(set(out)) != len(out):
        raise ValueError(f"The 'seeds' parameter of {owner} must not repeat a seed. Got {out}.")
    return out
