"""One line per technique that reads its row aloud: every phrase comes from the numbers."""

from __future__ import annotations

from tunesmith.compare.model import ComparisonData
from tunesmith.compare.stats import NEAR, Summary, TechniqueRow, measure
from tunesmith.ranking import loss

__all__ = [
    "summarize",
    "add_readings",
    "reading",
    "failure_part",
    "one_line",
    "fmt_value",
    "fmt_ms",
    "fmt_count",
]

CONTRAST = 2.0  # overhead is called highest/lowest only when it differs this much
ERROR_CHARS = 200  # a failure's reason is cut to this many characters in a reading


def fmt_value(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def fmt_ms(v: float) -> str:
    return f"{v:.0f}" if v >= 10 else f"{v:.2g}"


def fmt_count(v: float | None) -> str:
    return "never" if v is None else f"{v:g}"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def one_line(text: str, limit: int = ERROR_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def failure_part(row: TechniqueRow) -> str:
    """How many evaluations failed and the last reason, e.g. "every evaluation failed (12 of
    12): ValueError: ... (last error)"; empty when none failed. The reading of a technique with
    no success starts with it; the report's notes give it for the others."""
    if row.made == 0:
        return "made no evaluation"
    if not row.failed:
        return ""
    why = one_line(row.last_error)
    if row.all_failed:
        return f"every evaluation failed ({row.failed} of {row.made}): {why} (last error)"
    share = f"{row.failed / row.made:.0%}"
    return f"{row.failed} of {row.made} evaluations failed ({share}; last error: {why})"


def _value_part(row: TechniqueRow, rows: list[TechniqueRow], direction: str) -> str:
    scored = [r for r in rows if r.best is not None]
    if row.best is None or len(scored) < 2:
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
    if row.evaluations >= budget or row.made == 0:
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
    if row.best is None:  # nothing to measure: say why, and what it cost
        parts = [failure_part(row), _budget_part(row, budget), _overhead_part(row, rows)]
        return "; ".join(p for p in parts if p)
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
