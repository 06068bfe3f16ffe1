"""Grid, random, genetic, gradient and TPE search side by side on Rastrigin's function.

    f(x) = 10 d + sum_i (z_i^2 - 10 cos(2 pi z_i)),   z = x - shift,   x_i in [-5.12, 5.12]

Rastrigin's function has a local minimum near every point of the integer lattice around the
shift and one global minimum, 0, at the shift. The shift moves that minimum off the centre of
the box (as the BBOB benchmark does), so a grid with an odd number of points does not land on
it by construction. The report measures what the classic pros-and-cons table only states:
gradient descent ends in local minima, a genetic search gets closer to the global one, and a
grid spends its budget evenly and needs far more evaluations.

    python examples/compare_rastrigin.py                 # 2-D and 10-D, report folders here
    python examples/compare_rastrigin.py --dimensions 2 --budget 300 --seeds 10
    tunesmith compare examples/compare_rastrigin.py --budget 100 --report rastrigin-2d
"""

from __future__ import annotations

import argparse
import math
import os

import tunesmith as ts

SHIFT = (1.23, -2.34, 0.57, -1.68, 2.79, -0.41, 1.92, -3.05, 0.86, -1.17)


def make_space(dimensions: int) -> dict[str, ts.Float]:
    """x0 .. x{d-1}, each in Rastrigin's usual box."""
    return {f"x{i}": ts.Float(-5.12, 5.12) for i in range(dimensions)}


space = make_space(2)
direction = "minimize"
SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI


def rastrigin(x: list[float]) -> float:
    """Rastrigin's function (Rastrigin 1974; Mühlenbein et al. 1991), shifted by ``SHIFT``."""
    z = [v - s for v, s in zip(x, SHIFT)]
    return 10.0 * len(z) + sum(v * v - 10.0 * math.cos(2.0 * math.pi * v) for v in z)


def objective(trial: ts.Trial) -> float:
    """Rastrigin at the trial's point, in as many dimensions as the trial has parameters."""
    return rastrigin([trial.params[f"x{i}"] for i in range(len(trial.params))])


def main() -> None:
    from tunesmith import compare

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, help="evaluations per run [2-D: 100, else 500]")
    parser.add_argument("--seeds", type=int, default=2 if SMALL else 5)
    parser.add_argument("--dimensions", type=int, nargs="+", default=[2] if SMALL else [2, 10])
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///rastrigin.db to resume")
    args = parser.parse_args()
    for d in args.dimensions:
        result = compare.run(
            objective,
            make_space(d),
            strategies=["grid", "random", "genetic", "gradient", "tpe"],
            budget=args.budget or (20 if SMALL else 100 if d <= 2 else 500),
            seeds=args.seeds,
            storage=args.storage,
            name=f"rastrigin-{d}d",
        )
        result.print_summary()
        paths = result.report(f"rastrigin-{d}d-report")
        print(f"{d}-D report: {paths.html}\n")


if __name__ == "__main__":
    main()
