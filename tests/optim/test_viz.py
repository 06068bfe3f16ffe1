"""Optimizer trajectories on 2-D test functions, drawn to PNG with matplotlib's Agg backend."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tunesmith.viz import trajectories
from tunesmith.viz.trajectories import FUNCTIONS, optimizer_path


def test_trajectories_writes_a_png(tmp_path: Path) -> None:
    output = trajectories(
        "rosenbrock",
        ("gd", "momentum", "rmsprop", "adam"),
        steps=200,
        path=tmp_path / "rosenbrock.png",
    )
    assert output == tmp_path / "rosenbrock.png"
    data = output.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (825, 715)  # 7.5 x 6.5 inches at 110 dpi
    assert len(data) > 50_000  # contours and four paths, not a blank canvas


def test_rastrigin_with_a_custom_start_and_lrs(tmp_path: Path) -> None:
    output = trajectories(
        "rastrigin",
        ("adam", "nesterov"),
        steps=50,
        start=(1.2, -0.7),
        path=tmp_path / "r.png",
        lrs={"adam": 0.05},
    )
    assert output.stat().st_size > 20_000


def test_paths_follow_the_functional_rules() -> None:
    start = FUNCTIONS["rosenbrock"].start
    path = optimizer_path("rosenbrock", "gd", 10, start, lr=1e-4)
    assert path.shape == (11, 2)
    np.testing.assert_allclose(path[0], start)
    expected_first = np.array(start) - 1e-4 * FUNCTIONS["rosenbrock"].grad(np.array(start))
    np.testing.assert_allclose(path[1], expected_first)
    adam = optimizer_path("rosenbrock", "adam", 500, start, lr=0.1)
    assert FUNCTIONS["rosenbrock"].value(adam[-1]) < 0.05 < FUNCTIONS["rosenbrock"].value(path[-1])
    np.testing.assert_allclose(FUNCTIONS["rosenbrock"].grad(np.array([1.0, 1.0])), [0.0, 0.0])
    np.testing.assert_allclose(FUNCTIONS["rastrigin"].grad(np.array([0.0, 0.0])), [0.0, 0.0])


def test_bad_names_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'function' parameter of trajectories must be one of"):
        trajectories("himmelblau", path=tmp_path / "x.png")
    with pytest.raises(ValueError, match="'optimizers' parameter of trajectories must name"):
        trajectories("rosenbrock", ("lbfgs",), path=tmp_path / "x.png")
    with pytest.raises(ValueError, match="'steps' parameter of trajectories must be an int >= 1"):
        trajectories("rosenbrock", steps=0, path=tmp_path / "x.png")


def test_missing_matplotlib_names_the_extra(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["matplotlib"] = None  # as if matplotlib were not installed
        from tunesmith.viz import trajectories
        try:
            trajectories(steps=5, path={str(tmp_path / "x.png")!r})
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert 'pip install "tunesmith[plot]"' in result.stdout
