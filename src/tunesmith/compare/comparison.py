"""``Comparison``: the stored runs (``model.ComparisonData``) with their table and report.

This module sits above ``stats``, ``readings`` and ``report``, so those import only the data
(``model``) and nothing imports back up.
"""

from __future__ import annotations

from typing import Any

from tunesmith.compare.model import ComparisonData
from tunesmith.compare.readings import summarize
from tunesmith.compare.report import ReportPaths, print_summary, write_report
from tunesmith.compare.stats import Summary

__all__ = ["Comparison"]


class Comparison(ComparisonData):
    """The runs of several techniques on one objective, same budget and seeds for each.

    ``skipped`` names the techniques that could not run and why. ``objective`` is kept (when
    known) so a report can draw the objective's contours; it is never stored.
    """

    def summary(self) -> Summary:
        """The measured table: one row per technique (see ``tunesmith.compare.summarize``)."""
        return summarize(self)

    def report(self, directory: Any, contours: bool | None = None) -> ReportPaths:
        """Write report.md, report.html and the PNGs into ``directory``; returns their paths."""
        return write_report(self, directory, contours=contours)

    def print_summary(self, console: Any = None) -> None:
        """The measured table in the terminal (rich)."""
        print_summary(self, console)
