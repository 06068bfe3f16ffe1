"""Optimizer paths on 2-D test functions (Rosenbrock, Rastrigin), drawn over a contour plot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunesmith.optim import functional

Array2 = np.ndarray


@dataclass(frozen=True)
class TestFunction:
    """A 2-D objective with its gradient, plotting window, usual start and minimum."""

    value: Callable[[Array2], float]
    grad: Callable[[Array2], Array2]
    window: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minimum: tuple[float, float]
    log_levels: bool


def _rosenbrock(x: Array2) -> Any:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_grad(x: Array2) -> Array2:
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def _rastrigin(x: Array2) -> Any:
    return (
        20
        + (x[0] ** 2 - 10 * np.cos(2 * np.pi * x[0]))
        + (x[1] ** 2 - 10 * np.cos(2 * np.pi * x[1]))
    )


def _rastrigin_grad(x: Array2) -> Array2:
    return 2 * x + 20 * np.pi * np.sin(2 * np.pi * x)


FUNCTIONS: dict[str, TestFunction] = {
    "rosenbrock": TestFunction(
        _rosenbrock, _rosenbrock_grad, ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.5), (1.0, 1.0), True
    ),
    "rastrigin": TestFunction(
        _rastrigin, _rastrigin_grad, ((-1.0, 4.5), (-1.0, 4.5)), (3.45, 2.55), (0.0, 0.0), False
    ),
}

# name -> (init, update, fixed hyperparameters)
OPTIMIZERS: dict[str, tuple[Callable, Callable, dict[str, Any]]] = {
    "gd": (functional.gradient_descent_init, functional.gradient_descent, {}),
    "momentum": (functional.sgd_init, functional.sgd, {"momentum": 0.9}),
    "nesterov": (functional.sgd_init, functional.sgd, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (functional.rmsprop_init, functional.rmsprop, {}),
    "adagrad": (functional.adagrad_init, functional.adagrad, {}),
    "adam": (functional.adam_init, functional.adam, {}),
    "adamw": (functional.adam_init, functional.adamw, {}),
}

# learning rates that make each optimizer's path readable on each function
DEFAULT_LRS: dict[str, dict[str, float]] = {
    "rosenbrock": {
        "gd": 8e-4,
        "momentum": 5e-4,
        "nesterov": 5e-4,
        "rmsprop": 1e-2,
        "adagrad": 0.5,
        "adam": 0.1,
        "adamw": 0.1,
    },
    "rastrigin": {
        "gd": 2e-3,
        "momentum": 2e-3,
        "nesterov": 2e-3,
        "rmsprop": 0.1,
        "adagrad": 0.5,
        "adam": 0.3,
        "adamw": 0.3,
    },
}


def optimizer_path(
    function: str, optimizer: str, steps: int, start: Sequence[float], lr: float
) -> Array2:
    """The (steps + 1, 2) points visited by ``optimizer`` on ``function`` from ``start``."""
    test_function = _function(function)
    init, update, fixed = _optimizer(optimizer)
    point = np.asarray(start, dtype=float)
    state = init(point)
    points = [point]
    for _ in range(steps):
        point, state = update(point, test_function.grad(point), state, lr=lr, **fixed)
        points.append(point)
    return np.stack(points)


def _function(name: str) -> TestFunction:
    if name not in FUNCTIONS:
        raise ValueError(
            f"The 'function' parameter of trajectories must be one of {sorted(FUNCTIONS)}. "
            f"Got {name!r} instead."
        )
    return FUNCTIONS[name]


def _optimizer(name: str) -> tuple[Callable, Callable, dict[str, Any]]:
    if name not in OPTIMIZERS:
        raise ValueError(
            f"The 'optimizers' parameter of trajectories must name entries of "
            f"{sorted(OPTIMIZERS)}. Got {name!r} instead."
        )
    return OPTIMIZERS[name]


def _figure() -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            'tunesmith.viz needs matplotlib; install it with pip install "tunesmith[plot]".'
        ) from error
    figure = Figure(figsize=(7.5, 6.5), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def trajectories(
    function: str = "rosenbrock",
    optimizers: Sequence[str] = ("gd", "momentum", "rmsprop", "adam"),
    steps: int = 500,
    start: Sequence[float] | None = None,
    path: str | Path = "trajectories.png",
    lrs: Mapping[str, float] | None = None,
) -> Path:
    """Draw each optimizer's path on ``function``'s contour plot and save it as a PNG.

    Args:
        function: "rosenbrock" or "rastrigin".
        optimizers: Names from ``OPTIMIZERS`` ("gd", "momentum", "rmsprop", "adam", ...).
        steps: Steps per optimizer (an int >= 1).
        start: The starting point (x, y); None for the function's own.
        path: Where the PNG goes.
        lrs: Learning rates by optimizer name, over ``DEFAULT_LRS``.

    Returns:
        The PNG's path.

    Raises:
        ValueError: An unknown function or optimizer, or ``steps`` below 1.
    """
    test_function = _function(function)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(
            f"The 'steps' parameter of trajectories must be an int >= 1. Got {steps!r} instead."
        )
    optimizers = (optimizers,) if isinstance(optimizers, str) else tuple(optimizers)
    for name in optimizers:
        _optimizer(name)
    start = test_function.start if start is None else tuple(start)
    chosen_lrs = {**DEFAULT_LRS[function], **(lrs or {})}
    paths = {
        name: optimizer_path(function, name, steps, start, chosen_lrs[name]) for name in optimizers
    }
    figure = _figure()
    axes = figure.add_subplot()
    _draw_contours(axes, test_function)
    _draw_paths(axes, test_function, paths, chosen_lrs, steps, start)
    axes.set_title(
        f"{function.capitalize()}: {steps} steps per optimizer (dots every {max(1, steps // 20)}, "
        "big dot = end)"
    )
    axes.legend(loc="lower right", fontsize=8, framealpha=0.9)
    figure.tight_layout()
    output = Path(path)
    figure.savefig(output, format="png")
    return output


def _draw_paths(
    axes: Any,
    test_function: TestFunction,
    paths: Mapping[str, np.ndarray],
    lrs: Mapping[str, float],
    steps: int,
    start: Sequence[float],
) -> None:
    """Each optimizer's path (a line with dots, a big dot at its end), the start and minimum."""
    styles = ["-", "--", "-.", ":"]
    for index, (name, points) in enumerate(paths.items()):
        final = test_function.value(points[-1])
        (line,) = axes.plot(
            points[:, 0],
            points[:, 1],
            styles[index % len(styles)],
            lw=2.2 - 0.3 * index,
            marker="o",
            ms=3,
            markevery=max(1, steps // 20),
            alpha=0.9,
            zorder=3 + index,
            label=f"{name} (lr={lrs[name]:g}): f={final:.3g}",
        )
        axes.plot(*points[-1], "o", ms=8, mec="k", color=line.get_color(), zorder=10)
    axes.plot(*start, "ks", ms=7, label="start")
    axes.plot(*test_function.minimum, "*", color="gold", mec="k", ms=15, label="minimum")
    (x_low, x_high), (y_low, y_high) = test_function.window
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)
    axes.set_xlabel("x")
    axes.set_ylabel("y")


def _draw_contours(axes: Any, test_function: TestFunction) -> None:
    (x_low, x_high), (y_low, y_high) = test_function.window
    xs, ys = np.meshgrid(np.linspace(x_low, x_high, 300), np.linspace(y_low, y_high, 300))
    values = test_function.value(np.stack([xs, ys]))
    if test_function.log_levels:
        levels = np.logspace(-3, np.log10(values.max()), 25)
        axes.contourf(xs, ys, values, levels=levels, cmap="Blues_r", norm=_log_norm(), alpha=0.6)
        axes.contour(xs, ys, values, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    else:
        axes.contourf(xs, ys, values, levels=30, cmap="Blues_r", alpha=0.6)
        axes.contour(xs, ys, values, levels=15, colors="k", linewidths=0.3, alpha=0.5)


def _log_norm() -> Any:
    from matplotlib.colors import LogNorm

    return LogNorm()
