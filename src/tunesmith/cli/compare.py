"""``tunesmith compare``: the techniques side by side on the objective of a file, with a report."""

from __future__ import annotations

import warnings
from typing import Any

import click

__all__ = ["compare"]

DEFAULT_STORAGE = "sqlite:///tunesmith.db"


class _Fail(click.ClickException):
    """A one-line error, exit code 2 (as every tunesmith command)."""

    exit_code = 2


def _check_jobs(_ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 1 and value != -1:
        raise click.BadParameter(
            f"must be an int >= 1, or -1 for all cores. Got {value} instead.", param=param
        )
    return value


def _strategy_list(_ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    from tunesmith.compare.runners import load_strategy

    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("must name at least one strategy.", param=param)
    if len(set(names)) != len(names):
        raise click.BadParameter(f"names a strategy twice: {value!r}.", param=param)
    for n in names:
        try:
            load_strategy(n)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param=param) from None
        except (ImportError, AttributeError):
            pass  # known but not installed: skipped and reported by the comparison
    return names


def _load(target: str, direction: str | None) -> tuple[Any, Any, dict[str, Any], str]:
    from tunesmith.cli.load import (
        LoadError,
        file_directions,
        get_function,
        load_module,
        parse_target,
    )
    from tunesmith.space import validate_space

    try:
        tgt = parse_target(target)
        module = load_module(tgt.path)
        func = get_function(module, tgt)
        dirs = (direction,) if direction is not None else file_directions(module, tgt.path.name)
        space = validate_space(getattr(module, "space", None))
    except (LoadError, ValueError) as exc:
        raise _Fail(" ".join(str(exc).split())) from None
    if dirs is not None and len(dirs) != 1:
        raise _Fail(f"{tgt.path.name} states {len(dirs)} directions; compare needs one objective.")
    if not space:
        raise _Fail(
            f"{tgt.path.name} has no module-level `space`: compare needs a declared space "
            "(a dict of tunesmith.Float/Int/Choice) so every technique searches the same one."
        )
    return tgt, func, space, dirs[0] if dirs else "minimize"


@click.command()
@click.argument("target", metavar="FILE.py[:FUNCTION]")
@click.option(
    "--strategies",
    default="grid,random,genetic,gradient,tpe",
    show_default=True,
    callback=_strategy_list,
    help="Comma-separated tunesmith strategies (grid, random, genetic, gradient, tpe, cmaes).",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Evaluations per run (the grid gets the largest grid that fits).",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Runs per technique (seeds 0 .. K-1).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write report.md, report.html (self-contained) and the PNGs into DIR.",
)
@click.option(
    "--storage",
    default=DEFAULT_STORAGE,
    show_default=True,
    metavar="URL",
    help="Where the runs live (one study per technique and seed).",
)
@click.option("--name", help="Comparison name [default: compare-<FILE stem>-<FUNCTION>].")
@click.option(
    "--direction",
    type=click.Choice(["minimize", "maximize"]),
    help="Overrides the file's `direction` [default: minimize].",
)
@click.option(
    "--jobs",
    "n_jobs",
    type=int,
    default=1,
    show_default=True,
    callback=_check_jobs,
    metavar="N",
    help="Runs at once, in processes (-1: one per core).",
)
@click.option(
    "--contours/--no-contours",
    default=None,
    help="Draw the objective under the evaluated points of a 1-D or 2-D space "
    "[default: when it is cheap].",
)
def compare(
    target: str,
    strategies: list[str],
    budget: int,
    seeds: int,
    report_dir: str | None,
    storage: str,
    name: str | None,
    direction: str | None,
    n_jobs: int,
    contours: bool | None,
) -> None:
    """Run several techniques on FUNCTION (default: objective) of FILE.py, same budget and
    seeds for each, and measure them: best value, evaluations to within 1% of the best,
    runs that ended far from it, wall time and framework overhead.

    Running the same comparison again resumes it: only missing trials run.
    """
    from rich.console import Console
    from rich.progress import Progress

    from tunesmith import compare as cmp
    from tunesmith.cli.common import open_storage
    from tunesmith.cli.load import FileObjective

    tgt, func, space, direction = _load(target, direction)
    name = name or f"compare-{tgt.default_name}"
    backend = open_storage(storage, create=True)
    objective = FileObjective(tgt) if n_jobs != 1 else func
    console = Console()
    runs = len(strategies) * seeds
    with Progress(console=console, transient=True) as bar, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skipped techniques are in the summary
        task = bar.add_task(f"compare {name}", total=runs)
        try:
            result = cmp.run(
                objective,
                space,
                strategies=strategies,
                budget=budget,
                seeds=seeds,
                n_jobs=n_jobs,
                storage=storage if n_jobs != 1 else backend,
                direction=direction,
                name=name,
                on_record=lambda _record: bar.advance(task),
            )
        except (ValueError, ImportError) as exc:
            raise _Fail(" ".join(str(exc).split())) from None
    result.objective = func
    cmp.print_summary(result, console)
    if report_dir is not None:
        paths = cmp.write_report(result, report_dir, contours=contours)
        click.echo(f"Report: {paths.html} and {paths.markdown}")
