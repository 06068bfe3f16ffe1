"""Figure data of the timeline per worker: each trial's lane, start, finish and state.

The rule: a finished trial does not record which process ran it (its owner is kept only while it
runs, in the storage's own column), so lanes are packed: trials by start, each in the lowest lane
free at its start. One process runs one trial at a time, so the lanes are as many as the most
trials that ever ran at once, the number of workers a run needed.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.viz.history import timeline_data
from tunesmith.viz.source import MAX_POINTS, check_max_points

__all__ = ["LaneData", "lane_data", "pack_lanes"]


@dataclass(frozen=True)
class LaneData:
    """Per started trial: ``numbers``, ``states``, ``start``/``finish`` and ``lane``.

    Attributes:
        name: The study's name.
        numbers: The trial numbers drawn.
        states: Each drawn trial's state.
        start: Each start, seconds since the first start.
        finish: Each finish, seconds since the first start (running: to now).
        lane: Each trial's lane.
        lanes: The number of lanes.
        total: The trials before downsampling.
    """

    name: str
    numbers: np.ndarray
    states: list[str]
    start: np.ndarray
    finish: np.ndarray
    lane: np.ndarray
    lanes: int
    total: int


def pack_lanes(start: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """Each interval's lane: by start (ties by index), the lowest lane whose last interval has
    finished by then; a new lane when none has."""
    lane = np.zeros(len(start), dtype=np.int64)
    busy: list[tuple[float, int]] = []  # (finish, lane) of the lanes in use
    free: list[int] = []
    for i in np.lexsort((np.arange(len(start)), start)):
        while busy and busy[0][0] <= start[i]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane[i] = heapq.heappop(free) if free else len(busy) + len(free)
        heapq.heappush(busy, (float(finish[i]), int(lane[i])))
    return lane


def lane_data(
    study: Any, directions: Sequence[str] | None = None, max_points: int = MAX_POINTS
) -> LaneData:
    """The started trials in packed lanes; thinned after packing, so lanes stay true.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        directions: The directions of a list of trials (default minimize).
        max_points: The most trials drawn (an int >= 2).

    Returns:
        The figure's data.
    """
    max_points = check_max_points(max_points, "lane_data")
    data = timeline_data(study, directions, max_points=2**62)
    started = np.flatnonzero(~np.isnan(data.start))
    start, finish = data.start[started], data.finish[started]
    lane = pack_lanes(start, finish)
    rows = np.arange(len(started))
    if len(rows) > max_points:  # evenly spread, every lane kept busy
        rows = np.linspace(0, len(rows) - 1, max_points).round().astype(np.int64)
    return LaneData(
        data.name,
        data.numbers[started][rows],
        [data.states[i] for i in started[rows]],
        start[rows],
        finish[rows],
        lane[rows],
        int(lane.max()) + 1 if len(lane) else 0,
        len(data.numbers),
    )
