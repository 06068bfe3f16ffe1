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

    Attributes:
        name: The comparison's name; its runs are studies ``{name}/{technique}/seed{k}``.
        direction: ``"minimize"`` or ``"maximize"``.
        space: The search space every technique ran on.
        budget: Evaluations per run.
        seeds: The seeds, one run of each technique per seed.
        techniques: The techniques that ran, in order.
        records: Every run, by technique then seed.
        skipped: Technique -> why it could not run.
        objective: The objective when known (never stored).
    """

    def summary(self) -> Summary:
        """The measured table: one row per technique (see ``tunesmith.compare.summarize``).

        Returns:
            The summary, each row with its reading.
        """
        return summarize(self)

    def report(self, directory: Any, contours: bool | None = None) -> ReportPaths:
        """Write report.md, report.html and the PNGs into ``directory``; returns their paths.

        Args:
            directory: The folder to write to (created if missing).
            contours: Draw the objective's contours: None when cheap, True always, False never.

        Returns:
            Where the files went.
        """
        return write_report(self, directory, contours=contours)

    def print_summary(self, console: Any = None) -> None:
        """The measured table in the terminal (rich).

        Args:
            console: A ``rich`` Console to print to; None for a new one.
        """
        print_summary(self, console)
