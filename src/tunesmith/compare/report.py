"""The comparison report: Markdown, one self-contained HTML file, the PNGs, a terminal table."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tunesmith.compare import plots
from tunesmith.compare.budget import GENERATIONS, MIN_GENERATIONS, MIN_GUIDED, STARTUP_SHARE
from tunesmith.compare.model import ComparisonData
from tunesmith.compare.noise import ALPHA
from tunesmith.compare.readings import failure_part, fmt_count, fmt_ms, fmt_value, summarize
from tunesmith.compare.stats import (
    FAR,
    NEAR,
    SETTLE_COUNT,
    SETTLE_RADIUS,
    Summary,
    TechniqueRow,
)
from tunesmith.ranking import sign

__all__ = ["ReportPaths", "write_report", "print_summary", "table_rows", "markdown"]

HEADERS = (
    "technique",
    "runs",
    "best (median)",
    "rank",
    "IQR",
    "min - max",
    "evals to 1%",
    "evals to 5%",
    "ended far",
    "failed",
    "wall s",
    "overhead s",
    "overhead ms/eval",
)


@dataclass
class ReportPaths:
    """Where the report went.

    Attributes:
        directory: The report's folder.
        markdown: report.md.
        html: report.html, images embedded.
        images: Figure name -> its PNG.
    """

    directory: Path
    markdown: Path
    html: Path
    images: dict[str, Path] = field(default_factory=dict)


def _span(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{fmt_value(a)} - {fmt_value(b)}"


def table_rows(summary: Summary) -> list[list[str]]:
    """The table's cells, one list per technique, in ``HEADERS`` order."""
    return [_cells(r, summary.rows) for r in summary.rows]


def _rank(r: TechniqueRow, rows: list[TechniqueRow]) -> str:
    """The ranks the row may hold by its per-seed best values: "1", or "1-3" within noise."""
    if r.best is None:
        return "-"
    low, high = r.value_standing.rank(sum(x.best is not None for x in rows))
    return str(low) if low == high else f"{low}-{high}"


def _cells(r: TechniqueRow, rows: list[TechniqueRow]) -> list[str]:
    return [
        r.technique,
        str(r.runs),
        "all failed" if r.made and r.all_failed else fmt_value(r.best),
        _rank(r, rows),
        _span(r.q1, r.q3),
        _span(r.low, r.high),
        f"{fmt_count(r.to_near)} ({r.reached_near}/{r.runs})",
        f"{fmt_count(r.to_far)} ({r.reached_far}/{r.runs})",
        f"{r.far}/{r.runs}",
        f"{r.failed}/{r.made}",
        f"{r.wall:.3g}",
        f"{r.overhead:.3g}",
        fmt_ms(r.overhead_ms),
    ]


def _setup(comparison: ComparisonData) -> str:
    space = ", ".join(f"{k} = {d!r}" for k, d in comparison.space.items())
    return (
        f"{len(comparison.techniques)} techniques x {len(comparison.seeds)} seeds "
        f"({', '.join(map(str, comparison.seeds))}) x {comparison.budget} evaluations each, "
        f"{comparison.direction}. Space: {space}."
    )


def _definitions(summary: Summary) -> list[str]:
    ref = summary.reference
    failed = (
        "*Failed*: evaluations that raised or gave no finite value, of all evaluations made "
        "over every seed; the last one's reason (and the first one's, when it differs) is in the "
        "reading when every evaluation failed, in the notes otherwise."
    )
    if ref is None:
        return ["No evaluation succeeded, so there is no best value to measure against.", failed]
    flip = sign(summary.direction)
    basis = {
        "range": f"the range of values seen across all techniques and seeds, from the best "
        f"({fmt_value(flip * ref.best)}) to the worst ({fmt_value(flip * ref.worst)}); both "
        "come from every evaluation of every run, so the target does not depend on where any "
        "run started",
        "|best|": f"|best value any run found| = {fmt_value(abs(ref.best))} (every evaluation "
        "gave the same value, so the range is empty)",
        "1": "1 (the best value is 0 and every evaluation gave it)",
    }[ref.basis]
    return [
        f"*Within p%*: a run's best so far is at most p% of {basis} away from the best value "
        f"any technique found on any seed; within {NEAR:.0%} means reaching "
        f"{fmt_value(flip * ref.target(NEAR))}, within {FAR:.0%} means "
        f"{fmt_value(flip * ref.target(FAR))}.",
        _TIES,
        _SETTINGS,
        "*Evals to 1%*: evaluations until the run was within 1%; the median over seeds, a seed "
        'that never got there counting as infinitely many ("never" when the median is); in '
        "brackets, the seeds that got there.",
        f"*Ended far*: runs whose final best is not within {FAR:.0%} of the best. Such a run "
        f"*settled in a local optimum* when at least {SETTLE_COUNT} of its other evaluations lie "
        f"within {SETTLE_RADIUS:.0%} of the search box of its own best point in every coordinate "
        "(it searched there and found nothing better); otherwise it is *still spread out*.",
        failed,
        "*Wall s*: median seconds per run; *overhead*: wall time minus time inside the "
        "objective (measured by timing every call), per run and per evaluation.",
        "*Best*: median over seeds of each run's best value; IQR = 25th - 75th percentile.",
    ]


_TIES = (
    "*Rank* and *ties*: two techniques differ clearly when a two-sided rank test (Mann-Whitney, "
    f"exact or 10,000 seeded permutations) of their per-seed best values gives p < {ALPHA:g}; "
    'otherwise they are tied, and the readings say "tied with", never best against worst. '
    'The rank column gives the places a technique may hold ("1-3": tied across them); with '
    "fewer than 4 seeds per technique no difference can be clear. Fastest and slowest are "
    "judged the same way on the per-seed evaluations to within 1%."
)
_SETTINGS = (
    "*Settings*: a technique named by string gets settings fitted to the budget: genetic, "
    f"nsga2 and cmaes a population of budget // {GENERATIONS} (their default at most, 4 at "
    f"least), tpe {STARTUP_SHARE:.0%} of the budget as random startup trials (10 at most, 2 "
    "at least), grid the largest grid that fits. A technique *cannot show itself* with fewer "
    f"than {MIN_GENERATIONS} generations, or fewer than {MIN_GUIDED} model-guided tpe "
    "evaluations; its reading says so."
)


def _warnings(summary: Summary) -> list[tuple[str, str]]:
    """(technique, text): partial failures and skipped techniques (all-failed ones say so in
    their reading)."""
    notes = [
        (r.technique, failure_part(r)) for r in summary.rows if r.failed and r.best is not None
    ]
    caveats = [(r.technique, r.caveat) for r in summary.rows if r.caveat]
    return caveats + notes + [(t, f"skipped, {why}") for t, why in summary.skipped.items()]


def _notes(summary: Summary) -> list[tuple[str, str]]:
    """(technique, note): the runners' notes, then the warnings."""
    return [(r.technique, r.note) for r in summary.rows if r.note] + _warnings(summary)


def markdown(comparison: ComparisonData, summary: Summary, images: dict[str, Path]) -> str:
    """The report as Markdown (images by relative path)."""
    lines = [f"# Comparison: {comparison.name}", "", _setup(comparison), ""]
    lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(summary)]
    lines += ["", "## Readings", ""]
    lines += [f"- **{r.technique}**: {r.reading}." for r in summary.rows]
    notes = [f"- **{t}**: {text}" for t, text in _notes(summary)]
    if notes:
        lines += ["", "## Notes", "", *notes]
    lines += ["", "## Definitions", "", *[f"- {d}" for d in _definitions(summary)]]
    if images:
        lines += ["", "## Figures", ""]
        lines += [f"![{key}]({path.name})" for key, path in images.items()]
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}td{text-align:right}td:first-child{text-align:left;font-weight:600}
img{max-width:100%;display:block;margin:1em 0}li{margin:.3em 0}"""


def _html(comparison: ComparisonData, summary: Summary, images: dict[str, Path]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
        for cells in table_rows(summary)
    )
    readings = "".join(f"<li><b>{e(r.technique)}</b>: {e(r.reading)}.</li>" for r in summary.rows)
    notes = [f"<li><b>{e(t)}</b>: {e(text)}</li>" for t, text in _notes(summary)]
    defs = "".join(f"<li>{e(d).replace('*', '')}</li>" for d in _definitions(summary))
    figures = "".join(
        f'<h3>{e(key)}</h3><img alt="{e(key)}" src="data:image/png;base64,'
        f'{base64.b64encode(path.read_bytes()).decode()}">'
        for key, path in images.items()
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(comparison.name)}</title>"
        f"<style>{_CSS}</style></head><body><h1>Comparison: {e(comparison.name)}</h1>"
        f"<p>{e(_setup(comparison))}</p><table><tr>{head}</tr>{body}</table>"
        f"<h2>Readings</h2><ul>{readings}</ul>"
        + (f"<h2>Notes</h2><ul>{''.join(notes)}</ul>" if notes else "")
        + f"<h2>Definitions</h2><ul>{defs}</ul><h2>Figures</h2>{figures}</body></html>\n"
    )


def write_report(
    comparison: ComparisonData, directory: Any, contours: bool | None = None
) -> ReportPaths:
    """Write report.md, report.html (images embedded) and the PNGs into ``directory``.

    Args:
        comparison: A ``Comparison`` (``run`` or ``load``).
        directory: The folder to write to (created if missing).
        contours: Draw the objective under the evaluated points of a 1-D or 2-D space. None
            (default) draws it when the objective is known and its grid is estimated to take
            under ``CONTOUR_SECONDS``; True always (when known), False never.

    Returns:
        Where the files went.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(comparison)
    images = {
        "convergence": plots.convergence(comparison, summary.reference, out / "convergence.png"),
        "final values": plots.final_values(comparison, out / "final_values.png"),
    }
    if plots.can_draw_points(comparison):
        draw = comparison.objective is not None and (
            contours
            if contours is not None
            else plots.contour_cost(comparison) < plots.CONTOUR_SECONDS
        )
        images["evaluated points"] = plots.points(comparison, out / "points.png", bool(draw))
    md = out / "report.md"
    md.write_text(markdown(comparison, summary, images), encoding="utf-8")
    page = out / "report.html"
    page.write_text(_html(comparison, summary, images), encoding="utf-8")
    return ReportPaths(out, md, page, images)


def print_summary(comparison: ComparisonData | Summary, console: Any = None) -> None:
    """The table and readings in the terminal.

    Args:
        comparison: A ``Comparison``, or its ``Summary``.
        console: A ``rich`` Console to print to; None for a new one (standard output).
    """
    summary = comparison if isinstance(comparison, Summary) else summarize(comparison)
    console = console or Console()
    title = f"{summary.budget} evaluations per run ({summary.direction})"
    table = Table(title=title, show_lines=False)
    keep = [0, 2, 3, 4, 6, 8, 10, 12]
    if any(r.failed for r in summary.rows):
        keep.insert(6, 9)  # "failed", when anything failed
    for i in keep:
        table.add_column(HEADERS[i], justify="left" if i == 0 else "right")
    for cells in table_rows(summary):
        table.add_row(*(cells[i] for i in keep))
    console.print(table)
    for r in summary.rows:
        console.print(Text.assemble((r.technique, "bold"), f": {r.reading}."), highlight=False)
    for t, text in _warnings(summary):
        console.print(f"{t}: {text}", style="yellow", highlight=False, markup=False)
