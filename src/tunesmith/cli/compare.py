"""``tunesmith compare``: the techniques side by side on the objective of a file, with a report."""

from __future__ import annotations

import warnings
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from tunesmith.cli.common import (
    exit_interrupted,
    fail,
    jobs_option,
    open_storage,
    open_target,
    storage_option,
)
from tunesmith.cli.load import LoadedTarget
from tunesmith.compare import (
    DEFAULT_STRATEGIES,
    Comparison,
    load_strategy,
    print_summary,
    write_report,
)
from tunesmith.compare import run as run_comparison
from tunesmith.interrupts import Terminated, graceful_signals
from tunesmith.strategies import STRATEGY_NAMES
from tunesmith.validation import DIRECTIONS

__all__ = ["compare"]


def _strategy_list(_ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
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


def _load(target: str, direction: str | None) -> LoadedTarget:
    """The file's objective, which compare needs with one direction and a declared space."""
    loaded = open_target(target, direction)
    name = loaded.target.path.name
    if loaded.directions is not None and len(loaded.directions) != 1:
        fail(f"{name} states {len(loaded.directions)} directions; compare needs one objective.")
    if not loaded.space:
        fail(
            f"{name} has no module-level `space`: compare needs a declared space "
            "(a dict of tunesmith.Float/Int/Choice) so every technique searches the same one."
        )
    return loaded


@click.command()
@click.argument("target", metavar="FILE.py[:FUNCTION]")
@click.option(
    "--strategies",
    default=",".join(DEFAULT_STRATEGIES),
    show_default=True,
    callback=_strategy_list,
    help=f"Comma-separated tunesmith strategies ({', '.join(STRATEGY_NAMES)}).",
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
@storage_option
@click.option("--name", help="Comparison name [default: compare-<FILE stem>-<FUNCTION>].")
@click.option(
    "--direction",
    type=click.Choice(DIRECTIONS),
    help="Overrides the file's `direction` [default: minimize].",
)
@jobs_option("Runs at once, in processes (-1: one per core).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    metavar="N",
    help="Call FUNCTION with lists of up to N trials (a batched objective).",
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
    batch_size: int | None,
    contours: bool | None,
) -> None:
    """Run several techniques on FUNCTION (default: objective) of FILE.py, same budget and
    seeds for each, and measure them: best value, evaluations to within 1% of the best,
    runs that ended far from it, wall time and framework overhead.

    Running the same comparison again resumes it: only missing trials run. With
    --batch-size N, FUNCTION takes a list of trials and returns one value per trial.
    """
    loaded = _load(target, direction)
    name = name or f"compare-{loaded.target.default_name}"
    backend = open_storage(storage, create=True)
    console = Console()
    result = _run(
        loaded,
        console,
        strategies=strategies,
        budget=budget,
        seeds=seeds,
        n_jobs=n_jobs,
        storage=storage if n_jobs != 1 else backend,
        direction=(loaded.directions or ("minimize",))[0],
        name=name,
        batch_size=batch_size,
    )
    result.objective = loaded.function
    print_summary(result, console)
    if report_dir is not None:
        paths = write_report(result, report_dir, contours=contours)
        click.echo(f"Report: {paths.html} and {paths.markdown}")


def _run(loaded: LoadedTarget, console: Console, **options: Any) -> Comparison:
    """The comparison, with a progress bar of its runs; its errors end the command."""
    runs = len(options["strategies"]) * options["seeds"]
    objective = loaded.objective(in_processes=options["n_jobs"] != 1)
    with Progress(console=console, transient=True) as bar, warnings.catch_warnings():
        # skipped and failed techniques are reported in the summary, not as warnings
        warnings.filterwarnings("ignore", message="compare: ", category=UserWarning)
        task = bar.add_task(f"compare {options['name']}", total=runs)
        try:
            with graceful_signals():
                return run_comparison(
                    objective, loaded.space, on_record=lambda _record: bar.advance(task), **options
                )
        except (ValueError, ImportError) as exc:
            fail(str(exc))
        except (KeyboardInterrupt, Terminated) as exc:
            bar.stop()
            exit_interrupted(
                exc,
                "the finished evaluations are stored; run the same command again to resume "
                "the comparison where it stopped.",
            )
