"""The measured pros and cons: one row of numbers per technique, from its runs' histories.

Everything is computed on losses (values negated when maximizing) and reported in the
objective's own units. The reference for "within p%" does not depend on where any run started:
``best`` is the best value any technique found on any seed, ``worst`` the worst value any
evaluation gave, and a run is within p% once its best so far is at most
``best + p/100 * (worst - best)``. When that range is empty (every evaluation gave the same
value) the percent is of ``|best|``, and of 1 when the best is 0. A run
*ended far from the best* when its final best is not within 5%. Such a run *settled in a local
optimum* when at least ``SETTLE_COUNT`` of its other evaluations lie within ``SETTLE_RADIUS`` of its
own best point in every coordinate of the unit cube: it searched around a point that is not the
best and found nothing better there.

Rankings carry their uncertainty: each row's ``value_standing`` (per-seed best values) and
``speed_standing`` (per-seed evaluations to within 1%, "never" ranking last) say which
techniques it is clearly ahead of, behind, or tied with by the rank test of
``tunesmith.compare.noise``.

``measure`` computes the table; ``tunesmith.compare.readings.summarize`` adds a sentence per row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.compare.model import ComparisonData, RunRecord
from tunesmith.compare.noise import Standing, standings
from tunesmith.ranking import loss, sign
from tunesmith.space import Space

__all__ = [
    "Reference",
    "TechniqueRow",
    "Summary",
    "measure",
    "best_so_far",
    "first_within",
    "last_improvement",
    "settled",
    "reference",
    "NEAR",
    "FAR",
]

NEAR = 0.01  # "within 1% of the best"
FAR = 0.05  # a run whose final best is not within 5% ended far from the best
SETTLE_RADIUS = 0.05  # unit-cube distance (per coordinate) that counts as "around" a point
SETTLE_COUNT = 3  # evaluations around its best that make a far run "settled"


@dataclass(frozen=True)
class Reference:
    """What "within p% of the best" is measured against (see the module docstring).

    Attributes:
        best: The best loss any run found.
        worst: The worst loss any evaluation gave.
        scale: The range (or |best|, or 1) that percents are of.
        basis: ``"range"``, ``"|best|"`` or ``"1"``.
    """

    best: float  # best loss any run found
    worst: float  # worst loss any evaluation gave
    scale: float  # the range (or |best|, or 1) that percents are of
    basis: str  # "range", "|best|" or "1"

    def target(self, fraction: float) -> float:
        """The loss a run must reach to be within ``fraction`` of the best.

        Args:
            fraction: 0.01 for "within 1%".

        Returns:
            ``best + fraction * scale``.
        """
        return self.best + fraction * self.scale


@dataclass
class TechniqueRow:
    """One technique's measurements over its runs (values in the objective's units).

    Attributes:
        technique: The technique's name.
        runs: How many runs (seeds) it made.
        evaluations: The median evaluations made per run.
        best: The median over runs of the run's best value; None when no run succeeded.
        q1: The 25th percentile of the runs' best values; None when no run succeeded.
        q3: The 75th percentile of the runs' best values; None when no run succeeded.
        low: The smallest best value over runs; None when no run succeeded.
        high: The largest best value over runs; None when no run succeeded.
        to_near: The median evaluations to within 1% of the best; None when that median is
            "never".
        reached_near: How many runs got within 1%.
        to_far: The median evaluations to within 5%; None when that median is "never".
        reached_far: How many runs got within 5%.
        far: How many runs ended far from the best (not within 5%).
        settled: Of those, how many settled around a point that is not the best.
        wall: The median seconds per run.
        objective: The median seconds inside the objective per run.
        overhead: The median framework seconds per run.
        overhead_ms: The median framework milliseconds per evaluation.
        note: The settings the technique was fitted with, in words (empty: none).
        reading: A sentence on the row (``tunesmith.compare.readings.summarize``; empty until
            then).
        made: Evaluations made, over all runs.
        failed: Of those, evaluations that gave no value.
        last_error: Why the last failed evaluation failed (last seed, last evaluation).
        first_error: Why the first failed evaluation failed (first seed).
        caveat: Why the technique cannot show itself at this budget (empty: it can).
        finals: Per seed, the run's best loss (inf: no success).
        reach: Per seed, the evaluations to within 1% (inf: never).
        value_standing: The techniques it is ahead of, behind or tied with by the rank test on
            ``finals``.
        speed_standing: The same by the rank test on ``reach``.
    """

    technique: str
    runs: int
    evaluations: float  # median evaluations made per run
    best: float | None  # median over runs of the run's best value
    q1: float | None
    q3: float | None
    low: float | None  # smallest and largest best value over runs
    high: float | None
    to_near: float | None  # median evaluations to within 1% (None: "never" in the median)
    reached_near: int  # runs that got within 1%
    to_far: float | None  # the same for 5%
    reached_far: int
    far: int  # runs that ended far from the best
    settled: int  # of those, runs that settled around a point that is not the best
    wall: float  # median seconds per run
    objective: float  # median seconds inside the objective per run
    overhead: float  # median framework seconds per run
    overhead_ms: float  # median framework milliseconds per evaluation
    note: str = ""
    reading: str = ""
    made: int = 0  # evaluations made, over all runs
    failed: int = 0  # of those, evaluations that gave no value
    last_error: str = ""  # why the last failed evaluation failed (last seed, last evaluation)
    first_error: str = ""  # why the first failed evaluation failed (first seed)
    caveat: str = ""  # why the technique cannot show itself at this budget (empty: it can)
    finals: list[float] = field(default_factory=list)  # per-seed best loss (inf: no success)
    reach: list[float] = field(default_factory=list)  # per-seed evaluations to 1% (inf: never)
    value_standing: Standing = field(default_factory=Standing)  # by the rank test on finals
    speed_standing: Standing = field(default_factory=Standing)  # by the rank test on reach

    @property
    def all_failed(self) -> bool:
        """Whether the technique completed no evaluation at all."""
        return self.failed == self.made


@dataclass
class Summary:
    """The comparison's table: the reference and one row per technique.

    Attributes:
        direction: ``"minimize"`` or ``"maximize"``.
        budget: Evaluations per run.
        reference: What percents are measured against; None when nothing succeeded.
        rows: One row per technique.
        skipped: Technique -> why it could not run.
    """

    direction: str
    budget: int
    reference: Reference | None
    rows: list[TechniqueRow]
    skipped: dict[str, str] = field(default_factory=dict)

    def row(self, technique: str) -> TechniqueRow:
        """The row of one technique (StopIteration when it has none).

        Args:
            technique: The technique's name.

        Returns:
            Its row.
        """
        return next(r for r in self.rows if r.technique == technique)


def best_so_far(record: RunRecord, direction: str, length: int | None = None) -> np.ndarray:
    """The run's best loss after each evaluation (NaN before its first success), carried on
    to ``length`` evaluations when it stopped early."""
    losses = np.array([loss(e.value, direction) for e in record.evaluations], dtype=float)
    losses[np.isposinf(losses)] = math.nan  # a failed evaluation: NaN, skipped by nan-aware stats
    curve = np.fmin.accumulate(losses) if losses.size else losses
    if length is not None and curve.size < length:
        tail = curve[-1] if curve.size else math.nan
        curve = np.concatenate([curve, np.full(length - curve.size, tail)])
    return curve


def first_within(curve: np.ndarray, target: float) -> int | None:
    """Evaluations (1-based) until the curve is at or below ``target``; None if never."""
    slack = 1e-12 * max(1.0, abs(target))
    hits = np.flatnonzero(curve <= target + slack)
    return int(hits[0]) + 1 if hits.size else None


def last_improvement(curve: np.ndarray) -> int | None:
    """The evaluation (1-based) at which the run last improved its best; None if no success."""
    finite = np.isfinite(curve)
    if not finite.any():
        return None
    first = int(np.flatnonzero(finite)[0])
    drops = np.flatnonzero(np.diff(curve[first:]) < 0)
    return first + (int(drops[-1]) + 2 if drops.size else 1)


def settled(record: RunRecord, space: Space, direction: str) -> bool:
    """Whether ``SETTLE_COUNT`` other evaluations lie within ``SETTLE_RADIUS`` of the run's best
    point in every unit-cube coordinate (the run searched around it)."""
    if not space:
        return False
    done = [
        e
        for e in record.evaluations
        if math.isfinite(loss(e.value, direction)) and all(k in e.params for k in space)
    ]
    if len(done) <= SETTLE_COUNT:
        return False
    units = np.array([[d.to_unit(e.params[k]) for k, d in space.items()] for e in done])
    best = int(np.argmin([loss(e.value, direction) for e in done]))
    near = np.all(np.abs(units - units[best]) <= SETTLE_RADIUS + 1e-12, axis=1)
    return int(near.sum()) - 1 >= SETTLE_COUNT


def reference(records: Sequence[RunRecord], direction: str) -> Reference | None:
    """The best and worst loss any evaluation gave, and the range percents are of; None when
    nothing succeeded."""
    losses = np.array(
        [loss(e.value, direction) for r in records for e in r.evaluations], dtype=float
    )
    losses = losses[np.isfinite(losses)]
    if not losses.size:
        return None
    best, worst = float(losses.min()), float(losses.max())
    if worst > best:
        return Reference(best, worst, worst - best, "range")
    if best != 0:
        return Reference(best, worst, abs(best), "|best|")
    return Reference(best, worst, 1.0, "1")


def _any(curve: np.ndarray) -> bool:
    return bool(curve.size and np.isfinite(curve).any())


def _median_or_never(counts: Sequence[int | None]) -> float | None:
    """Median with "never" as infinity; None when the median itself is never."""
    m = float(np.median([math.inf if c is None else c for c in counts]))
    return None if math.isinf(m) else m


def _value(loss_value: float, direction: str) -> float:
    return sign(direction) * loss_value


def _row(
    runs: list[RunRecord], ref: Reference | None, direction: str, budget: int, space: Space
) -> TechniqueRow:
    curves = [best_so_far(r, direction, budget) for r in runs]
    finals = [float(c[-1]) for c in curves if _any(c)]
    values = np.array([_value(f, direction) for f in finals])
    near = [first_within(c, ref.target(NEAR)) if ref else None for c in curves]
    within = [first_within(c, ref.target(FAR)) if ref else None for c in curves]
    far_runs = [r for r, w in zip(runs, within) if w is None]
    walls = [r.wall for r in runs]
    per_eval = [r.overhead / max(len(r.evaluations), 1) * 1e3 for r in runs]
    stats = (
        (float(np.median(values)), *np.percentile(values, [25, 75]).tolist())
        if values.size
        else (None, None, None)
    )
    return TechniqueRow(
        technique=runs[0].technique,
        runs=len(runs),
        evaluations=float(np.median([len(r.evaluations) for r in runs])),
        best=stats[0],
        q1=stats[1],
        q3=stats[2],
        low=float(values.min()) if values.size else None,
        high=float(values.max()) if values.size else None,
        to_near=_median_or_never(near),
        reached_near=sum(n is not None for n in near),
        to_far=_median_or_never(within),
        reached_far=sum(w is not None for w in within),
        far=len(far_runs),
        settled=sum(settled(r, space, direction) for r in far_runs),
        wall=float(np.median(walls)),
        objective=float(np.median([r.objective_seconds for r in runs])),
        overhead=float(np.median([r.overhead for r in runs])),
        overhead_ms=float(np.median(per_eval)),
        note=next((r.note for r in runs if r.note), ""),
        caveat=next((r.caveat for r in runs if r.caveat), ""),
        finals=[float(c[-1]) if _any(c) else math.inf for c in curves],
        reach=[math.inf if n is None else float(n) for n in near],
        **_failures(runs),
    )


def _failures(runs: list[RunRecord]) -> dict[str, Any]:
    """Evaluations made and failed over ``runs``, and the first and last failure's reason."""
    done = [e for r in runs for e in r.evaluations]
    errors = [e.error or "no value" for e in done if e.failed]
    first, last = (errors[0], errors[-1]) if errors else ("", "")
    return {"made": len(done), "failed": len(errors), "last_error": last, "first_error": first}


def measure(comparison: ComparisonData) -> Summary:
    """The comparison's table, one row per technique (its ``reading`` still empty)."""
    direction, budget = comparison.direction, comparison.budget
    ref = reference(comparison.records, direction)
    rows = [
        _row(runs, ref, direction, budget, comparison.space)
        for runs in (comparison.runs(t) for t in comparison.techniques)
        if runs
    ]
    scored = [r for r in rows if r.best is not None]
    by_value = standings({r.technique: r.finals for r in scored})
    by_speed = standings({r.technique: r.reach for r in scored})
    for r in scored:
        r.value_standing, r.speed_standing = by_value[r.technique], by_speed[r.technique]
    return Summary(direction, budget, ref, rows, dict(comparison.skipped))
