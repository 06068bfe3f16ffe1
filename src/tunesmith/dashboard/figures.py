"""Figure data as JSON: the viz layer's numbers (downsampled there, the best trials kept) turned
into lists, NaN and infinities as null (the rule: the server sends numbers, the page draws)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.viz import (
    ParamAxis,
    StudySource,
    contour_data,
    edf_data,
    intermediate_data,
    parallel_data,
    pareto_data,
    slice_data,
    timeline_data,
)

__all__ = [
    "FIGURES",
    "axis_json",
    "edf",
    "listed",
]


def listed(values: Any) -> list[Any]:
    """A 1-D array as a JSON list, every non-finite number as None."""
    out = np.asarray(values, dtype=float).tolist()
    return [v if math.isfinite(v) else None for v in out]


def axis_json(axis: ParamAxis) -> dict[str, Any]:
    """A parameter axis: name, scale (linear, log, categorical), bounds and categories."""
    return {
        "name": axis.name,
        "scale": axis.scale,
        "low": axis.low,
        "high": axis.high,
        "categories": list(axis.categories),
    }


def intermediate(source: StudySource, max_points: int) -> dict[str, Any]:
    """The learning curves (PRUNED ones marked by their state)."""
    data = intermediate_data(source, max_points=max_points)
    curves = [
        {
            "number": c.number,
            "state": c.state,
            "steps": c.steps.tolist(),
            "values": listed(c.values),
        }
        for c in data.curves
    ]
    return {"direction": data.direction, "curves": curves}


def parallel(source: StudySource, max_points: int) -> dict[str, Any]:
    """One line per completed trial over every parameter axis, coloured by the objective."""
    data = parallel_data(source, max_points=max_points)
    return {
        "direction": data.direction,
        "axes": [axis_json(a) for a in data.axes],
        "numbers": data.numbers.tolist(),
        "values": listed(data.values),
        "coords": [listed(data.coords[:, j]) for j in range(len(data.axes))],
        "unit": [listed(data.unit[:, j]) for j in range(len(data.axes))],
    }


def slices(source: StudySource, max_points: int) -> dict[str, Any]:
    """The objective against each parameter, one panel each."""
    data = slice_data(source, max_points=max_points)
    panels = [
        {"axis": axis_json(p.axis), "numbers": p.numbers.tolist(), "x": listed(p.x),
         "y": listed(p.y)}
        for p in data.panels
    ]  # fmt: skip
    return {"direction": data.direction, "panels": panels}


def contour(source: StudySource, max_points: int, params: Sequence[str]) -> dict[str, Any]:
    """The objective over the parameter pair ``params``: the trials and an interpolated grid."""
    data = contour_data(source, params=list(params), max_points=max_points)
    return {
        "direction": data.direction,
        "x_axis": axis_json(data.x_axis),
        "y_axis": axis_json(data.y_axis),
        "x": listed(data.x),
        "y": listed(data.y),
        "z": listed(data.z),
        "grid_x": listed(data.grid_x),
        "grid_y": listed(data.grid_y),
        "grid_z": [listed(row) for row in data.grid_z],
    }


def pareto(source: StudySource, max_points: int) -> dict[str, Any]:
    """The completed trials on the first objectives, the non-dominated ones marked."""
    data = pareto_data(source, max_points=max_points)
    return {
        "directions": list(data.directions),
        "objectives": list(data.objectives),
        "numbers": data.numbers.tolist(),
        "values": [listed(data.values[:, k]) for k in range(len(data.objectives))],
        "on_front": data.on_front.tolist(),
    }


def timeline(source: StudySource, max_points: int) -> dict[str, Any]:
    """Each trial's start and finish (seconds after the first start) and its state."""
    data = timeline_data(source, max_points=max_points)
    return {
        "numbers": data.numbers.tolist(),
        "states": data.states,
        "start": listed(data.start),
        "finish": listed(data.finish),
        "origin": data.origin,
    }


def edf(sources: Sequence[StudySource], max_points: int) -> dict[str, Any]:
    """Per study, the share of completed trials with a value at most x (first objective)."""
    data = edf_data(list(sources), max_points=max_points)
    curves = [
        {"name": c.name, "values": listed(c.values), "fraction": listed(c.fraction)}
        for c in data.curves
    ]
    return {"direction": data.direction, "curves": curves}


# name -> the JSON of that figure from a source and a number of points (the history is drawn
# from the light columns instead: columns.Columns.history)
FIGURES: dict[str, Any] = {
    "timeline": timeline,
    "edf": lambda source, n: edf([source], n),
    "intermediate": intermediate,
    "parallel": parallel,
    "slice": slices,
    "pareto": pareto,
}
