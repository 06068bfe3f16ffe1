"""Axes that cost little to draw: fixed text positions and few ticks, whatever the data.

Matplotlib places a title and each axis label by measuring every tick label again on each
draw, and picks the number of ticks by measuring a sample tick; with the positions given here
(in inches from the axes) and a fixed number of ticks, a figure is drawn in one pass over its
artists. The EDF, Pareto front, slice and parallel-coordinates figures go through ``pin``;
every figure of ``viz.render*`` is made on ``attach_canvas``'s canvas (fast PNG compression).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = [
    "PNG_LEVEL",
    "TICKS",
    "attach_canvas",
    "colour_strip",
    "padded_range",
    "pin",
    "thin_ticks",
]

PNG_LEVEL = 1  # zlib level of a saved PNG: about half the time of level 6, files ~5-30% larger
TICKS = 5  # at most this many intervals between ticks on a numeric axis (TICKS + 1 ticks)
XLABEL_GAP = 0.3  # inches from the bottom of the axes to the top of the x label
YLABEL_GAP = 0.62  # inches from the left of the axes to the y label (its right side)
TITLE_PAD = 6.0  # points between the top of the axes and the title


def thin_ticks(axis: Any, ticks: int = TICKS) -> None:
    """Give ``axis`` at most ``ticks`` round ticks (the rule of ``viz.frame``), unless its ticks
    were set (categories, log decades): the default locator measures a tick's text to choose
    a count, and every tick is an object to build and draw.

    Args:
        axis: A matplotlib x or y Axis.
        ticks: Most intervals between ticks.
    """
    from matplotlib.ticker import AutoLocator, MaxNLocator

    if type(axis.get_major_locator()) is AutoLocator:
        axis.set_major_locator(MaxNLocator(nbins=ticks, steps=[1, 2, 2.5, 5, 10]))


def pin(
    axes: Any,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    *,
    ylabel_gap: float = YLABEL_GAP,
    flat: bool = True,
) -> None:
    """Set the title and labels of ``axes`` at fixed distances (inches; the rule of
    ``viz.frame``) and thin its ticks; ``None`` leaves a text as it is.

    Args:
        axes: The matplotlib Axes to finish.
        title: The title, drawn ``TITLE_PAD`` points above the axes.
        xlabel: The x label, ``XLABEL_GAP`` inches below the axes.
        ylabel: The y label, ``ylabel_gap`` inches left of the axes.
        ylabel_gap: Inches between the axes and the y label's right side.
        flat: False for a 3D Axes: only its title is set, its labels and ticks as they are.
    """
    from matplotlib.transforms import ScaledTranslation

    if not flat:
        if title is not None:
            axes.set_title(title)
        return
    inches = axes.figure.dpi_scale_trans
    if xlabel is not None:
        axes.set_xlabel(xlabel)
    if ylabel is not None:
        axes.set_ylabel(ylabel)
    below = axes.transAxes + ScaledTranslation(0, -XLABEL_GAP, inches)
    axes.xaxis.set_label_coords(0.5, 0.0, transform=below)
    left = axes.transAxes + ScaledTranslation(-ylabel_gap, 0, inches)
    axes.yaxis.set_label_coords(0.0, 0.5, transform=left)
    if title is not None:
        axes.set_title(title, y=1.0, pad=TITLE_PAD)
    thin_ticks(axes.xaxis)
    thin_ticks(axes.yaxis)


@functools.cache
def _canvas_class() -> type:
    """The canvas of ``attach_canvas``, made on first use (matplotlib loads only to draw)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    class FastPngCanvas(FigureCanvasAgg):
        """An Agg canvas writing PNGs at zlib level ``PNG_LEVEL`` unless ``pil_kwargs`` says."""

        def print_png(
            self,
            filename_or_obj: Any,
            *,
            metadata: Any = None,
            pil_kwargs: Any = None,
            **applied: Any,  # dpi, facecolor, ...: print_figure set them on the figure
        ) -> None:
            pil_kwargs = {"compress_level": PNG_LEVEL, **(pil_kwargs or {})}
            super().print_png(filename_or_obj, metadata=metadata, pil_kwargs=pil_kwargs)

    return FastPngCanvas


def attach_canvas(figure: Any) -> Any:
    """Give ``figure`` an Agg canvas whose PNGs are compressed at ``PNG_LEVEL`` (the rule of
    ``viz.frame``: compressing at matplotlib's level 6 took as long as drawing the figure).

    Args:
        figure: A matplotlib Figure.

    Returns:
        The canvas; ``figure.savefig(..., pil_kwargs={"compress_level": 9})`` still picks the
        smallest file.
    """
    return _canvas_class()(figure)


def colour_strip(axes: Any, x: float, cmap: str = "viridis") -> None:
    """Draw a colour scale as a thin strip along the vertical axis at data ``x`` (from 0 at the
    bottom to 1 at the top), sharing that axis's labels: a colourbar would be one more axes to
    lay out and draw (the rule of ``viz.frame``).

    Args:
        axes: The matplotlib Axes, its y running over [0, 1] where the strip is.
        x: Where the strip is centred, in data units.
        cmap: The colour map's name.
    """
    axes.imshow(
        np.linspace(0.0, 1.0, 128)[:, None],
        cmap=cmap,
        aspect="auto",
        origin="lower",
        extent=(x - 0.03, x + 0.03, 0.0, 1.0),
        zorder=3,
    )


def padded_range(values: np.ndarray, room: float = 0.05) -> tuple[float, float]:
    """The range of ``values`` widened by ``room`` of it on each side, set once for several
    panels instead of each panel's own autoscaled one.

    Args:
        values: Finite values (NaN ignored).
        room: The share of the range added on each side.

    Returns:
        (low, high); a single value gets half its size (or 0.5) on each side.
    """
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = room * (high - low) or 0.5 * max(abs(low), 1.0)
    return low - pad, high + pad
