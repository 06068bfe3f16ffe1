"""Plots of tunesmith's optimizers; matplotlib is imported only when a plot is drawn.

``trajectories`` is bound here at import (its module needs only NumPy until it draws), so the
name always means the function, even after ``tunesmith.viz.trajectories`` the module is imported.
"""

from __future__ import annotations

from .trajectories import trajectories

__all__ = ["trajectories"]
