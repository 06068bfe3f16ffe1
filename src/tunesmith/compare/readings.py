"""One line per technique that reads its row aloud: every phrase comes from the numbers."""

from __future__ import annotations

from tunesmith.compare.model import ComparisonData
from tunesmith.compare.stats import NEAR, Summary, TechniqueRow, measure
from tunesmith.ranking import loss

__all__ = ["summarize", "add_readings", "reading", "fmt_value", "fmt_ms", "fmt_count"]

CONTRAST = 2.0  # overhead is called highest/lowest only when it differs this much


def fmt_value(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def fmt_ms(v: float) -> str:
    return f"{v:.0f}" if v >= 10 else f"{v:.2g}"


def fmt_count(v: float | None) -> str:
    return "never" if v is None else f"{v:g}"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _value_part(row: TechniqueRow, rows: list[TechniqueRow], direction: str) -> str:
    scored = [r for r in rows if r.best is not None]
    if row.best is None:
        return "no evaluation succeeded"
    if len(scored) < 2:
        return ""
    losses = sorted(loss(r.best, direction) for r in scored)
    mine = loss(row.best, direction)
    ties = sum(v == mine for v in losses)
    if mine == losses[0]:
        lead = "shares the best" if ties > 1 else "best"
        return f"{lead} median value ({fmt_value(row.best)})"
    if mine == losses[-1]:
        return f"worst median value ({fmt_value(row.best)})"
    return ""


def _speed_part(row: TechniqueRow, rows: list[TechniqueRow], budget: int) -> str:
    near = _pct(NEAR)
    if row.to_near is None:
        if row.reached_near:
            return f"came within {near} of the best in only {row.reached_near}/{row.runs} seeds"
        return f"never came within {near} of the best in {budget} evaluations"
    text = f"reached {near} of the best in {fmt_count(row.to_near)} evaluations"
    marks = []
    speeds = [r.to_near for r in rows if r.to_near is not None]
    if len(speeds) > 1 and row.to_near == min(speeds) and min(speeds) < max(speeds):
        marks.append("fastest")
    elif len(speeds) > 1 and row.to_near == max(speeds) and min(speeds) < max(speeds):
        marks.append("slowest")
    if row.reached_near < row.runs:
        marks.append(f"{row.reached_near}/{row.runs} seeds")
    return text + (f" ({'; '.join(marks)})" if marks else "")


def _reliability_part(row: TechniqueRow, budget: int) -> str:
    if row.best is None:
        return ""
    if row.far == 0:
        return "ended near the best in every seed" if row.runs > 1 else "ended near the best"
    text = f"ended far from the best in {row.far}/{row.runs} seeds"
    if row.settled == row.far:
        who = "every one" if row.far > 1 else "the run"
        return f"{text} (local optima: {who} settled around its own best)"
    if row.settled:
        spread = row.far - row.settled
        return f"{text} ({row.settled} settled in a local optimum, {spread} still spread out)"
    return f"{text} (none settled: still spread out)"


def _budget_part(row: TechniqueRow, budget: int) -> str:
    if row.evaluations >= budget:
        return ""
    return f"used {fmt_count(row.evaluations)} of {budget} evaluations (nothing left to propose)"


def _overhead_part(row: TechniqueRow, rows: list[TechniqueRow]) -> str:
    text = f"overhead {fmt_ms(row.overhead_ms)} ms per evaluation"
    costs = [r.overhead_ms for r in rows]
    if len(costs) > 1 and min(costs) > 0 and max(costs) >= CONTRAST * min(costs):
        if row.overhead_ms == max(costs):
            return f"{text} (highest)"
        if row.overhead_ms == min(costs):
            return f"{text} (lowest)"
    return text


def reading(row: TechniqueRow, summary: Summary) -> str:
    """The row in one line, e.g. "reached 1% of the best in 34 evaluations (fastest); ...".

    Far: not within ``FAR`` (5%) of the best at the end; settled: such a run searched around its
    own best (see ``tunesmith.compare.stats.settled``)."""
    rows, budget = summary.rows, summary.budget
    parts = [
        _value_part(row, rows, summary.direction),
        _speed_part(row, rows, budget),
        _reliability_part(row, budget),
        _budget_part(row, budget),
        _overhead_part(row, rows),
    ]
    return "; ".join(p for p in parts if p)


def add_readings(summary: Summary) -> None:
    """Fill every row's ``reading``."""
    for row in summary.rows:
        row.reading = reading(row, summary)


def summarize(comparison: ComparisonData) -> Summary:
    """The comparison's table, each row with a one-line reading generated from its numbers."""
    summary = measure(comparison)
    add_readings(summary)
    return summary
