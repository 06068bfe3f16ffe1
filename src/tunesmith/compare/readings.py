"""One line per technique that reads its row aloud: every phrase comes from the numbers.

"best", "worst", "fastest" and "slowest" are said only of differences the rank test of
``tunesmith.compare.noise`` calls clear; a difference inside the seed-to-seed noise is a tie
("tied for the best with X").
"""

from __future__ import annotations

from tunesmith.compare.model import ComparisonData
from tunesmith.compare.stats import NEAR, Summary, TechniqueRow, measure

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
    """How many evaluations failed, the last reason and the first (when it differs), e.g.
    "every evaluation failed (12 of 12): ValueError: ... (last error); first error: ...";
    empty when none failed. The reading of a technique with no success starts with it; the
    report's notes give it for the others."""
    if row.made == 0:
        return "made no evaluation"
    if not row.failed:
        return ""
    why = one_line(row.last_error)
    first = ""
    if row.first_error and row.first_error != row.last_error:
        first = f"; first error: {one_line(row.first_error)}"
    if row.all_failed:
        return f"every evaluation failed ({row.failed} of {row.made}): {why} (last error){first}"
    share = f"{row.failed / row.made:.0%}"
    return f"{row.failed} of {row.made} evaluations failed ({share}; last error: {why}){first}"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _value_part(row: TechniqueRow, rows: list[TechniqueRow]) -> str:
    """Where the row's per-seed best values stand, by the rank test: ties within the noise."""
    others = sum(r.best is not None for r in rows) - 1
    if row.best is None or others < 1:
        return ""
    st, value = row.value_standing, fmt_value(row.best)
    if not st.behind:
        if len(st.ahead_of) == others:
            return f"best median value ({value}), clearly ahead of every other technique"
        text = f"median value {value}, tied for the best with {_names(st.tied)} (within noise)"
        return text + (f"; clearly ahead of {_names(st.ahead_of)}" if st.ahead_of else "")
    if len(st.behind) == others:
        return f"worst median value ({value}), clearly behind every other technique"
    text = f"median value {value}, clearly behind {_names(st.behind)}"
    return text + (f" (tied with {_names(st.tied)})" if st.tied else "")


def _speed_part(row: TechniqueRow, rows: list[TechniqueRow], budget: int) -> str:
    near = _pct(NEAR)
    if row.to_near is None:
        if row.reached_near:
            return f"came within {near} of the best in only {row.reached_near}/{row.runs} seeds"
        return f"never came within {near} of the best in {budget} evaluations"
    text = f"reached {near} of the best in {fmt_count(row.to_near)} evaluations"
    marks = []
    others = sum(r.best is not None for r in rows) - 1
    st = row.speed_standing
    speeds = [r.to_near for r in rows if r.to_near is not None]
    if others and len(st.ahead_of) == others:
        marks.append("fastest")
    elif others and len(st.behind) == others:
        marks.append("slowest")
    elif row.to_near == min(speeds) < max(speeds) and st.tied:
        marks.append(f"tied for fastest with {_names(st.tied)}")
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
    """The row in one line, e.g. "median value 0.97, tied for the best with tpe (within
    noise); reached 1% of the best in 34 evaluations (fastest); ...".

    Far: not within ``FAR`` (5%) of the best at the end; settled: such a run searched around its
    own best (see ``tunesmith.compare.stats.settled``)."""
    rows, budget = summary.rows, summary.budget
    if row.best is None:  # nothing to measure: say why, and what it cost
        parts = [failure_part(row), row.caveat, _budget_part(row, budget)]
        parts.append(_overhead_part(row, rows))
        return "; ".join(p for p in parts if p)
    parts = [
        _value_part(row, rows),
        row.caveat,
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
    """The comparison's table, each row with a one-line reading generated from its numbers.

    Args:
        comparison: A ``Comparison`` (``run`` or ``load``).

    Returns:
        The summary: one row per technique, and the reference values.
    """
    summary = measure(comparison)
    add_readings(summary)
    return summary
