"""Techniques side by side on one objective, measured: the pros-and-cons table as numbers.

    from tunesmith import compare
    result = compare.run(objective, space, strategies=["grid", "random", "genetic", "tpe"],
                         budget=100, seeds=5, storage="sqlite:///compare.db", name="svc")
    result.print_summary()
    result.report("report/")          # report.md, report.html (self-contained), PNGs

Every technique gets the same budget and seeds; the grid gets the largest grid that fits the
budget. Each run is a normal study named ``{name}/{technique}/seed{k}``, so running the same
comparison again resumes it and ``compare.load(name, storage)`` reopens it. Besides tunesmith's
strategies, ``strategies`` takes runners: any object with a ``name`` and ``run(task)`` that
spends ``task.budget`` evaluations through ``task.evaluate(params) -> loss`` (see ``Runner``).
"""

from __future__ import annotations

from tunesmith.compare.comparison import Comparison
from tunesmith.compare.model import Evaluation, RunRecord
from tunesmith.compare.readings import summarize
from tunesmith.compare.report import ReportPaths, print_summary, write_report
from tunesmith.compare.runners import (
    Runner,
    StrategyRunner,
    Task,
    grid_points_for_budget,
    load_strategy,
)
from tunesmith.compare.running import DEFAULT_STRATEGIES, run
from tunesmith.compare.stats import FAR, NEAR, Reference, Summary, TechniqueRow
from tunesmith.compare.stored import load
from tunesmith.space import grid_size

__all__ = [
    "run",
    "load",
    "summarize",
    "write_report",
    "print_summary",
    "Comparison",
    "RunRecord",
    "Evaluation",
    "Summary",
    "TechniqueRow",
    "Reference",
    "ReportPaths",
    "Runner",
    "Task",
    "StrategyRunner",
    "grid_points_for_budget",
    "grid_size",
    "load_strategy",
    "DEFAULT_STRATEGIES",
    "NEAR",
    "FAR",
]
