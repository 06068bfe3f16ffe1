"""Plots of tunesmith's studies and optimizers; matplotlib is imported only when a plot is drawn.

The ``*_data`` functions turn a study into plain figure data (NumPy arrays, no matplotlib); the
``plot_*`` functions draw that data and return a matplotlib Figure.

``trajectories`` is bound here at import (its module needs only NumPy until it draws), so the
name always means the function, even after ``tunesmith.viz.trajectories`` the module is imported.
"""

from __future__ import annotations

from .history import (
    EdfData,
    HistoryData,
    IntermediateData,
    TimelineData,
    edf_data,
    history_data,
    intermediate_data,
    timeline_data,
)
from .lanes import LaneData, lane_data
from .params import (
    ContourData,
    ParallelData,
    ParetoData,
    SliceData,
    contour_data,
    parallel_data,
    pareto_data,
    slice_data,
)
from .render import plot_edf, plot_history, plot_intermediate, plot_timeline
from .render_extra import plot_importance, plot_worker_timeline
from .render_params import plot_contour, plot_parallel_coordinates, plot_pareto_front, plot_slice
from .render_strategy import plot_strategy
from .shares import ImportanceData, importance_data
from .source import MAX_POINTS, ParamAxis, StudySource, downsample
from .strategy import CmaesView, GenerationsView, GradientView, HistoryNote, strategy_view
from .tpe_view import TpeView
from .trajectories import trajectories

__all__ = [
    "trajectories",
    "MAX_POINTS",
    "ParamAxis",
    "StudySource",
    "downsample",
    "HistoryData",
    "IntermediateData",
    "TimelineData",
    "EdfData",
    "ParallelData",
    "SliceData",
    "ContourData",
    "ParetoData",
    "history_data",
    "intermediate_data",
    "timeline_data",
    "edf_data",
    "parallel_data",
    "slice_data",
    "contour_data",
    "pareto_data",
    "plot_history",
    "plot_intermediate",
    "plot_parallel_coordinates",
    "plot_slice",
    "plot_contour",
    "plot_pareto_front",
    "plot_edf",
    "plot_timeline",
    "LaneData",
    "ImportanceData",
    "TpeView",
    "GenerationsView",
    "CmaesView",
    "GradientView",
    "HistoryNote",
    "lane_data",
    "importance_data",
    "strategy_view",
    "plot_importance",
    "plot_strategy",
    "plot_worker_timeline",
]
