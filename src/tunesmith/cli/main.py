"""The ``tunesmith`` command line: run a study from a file, then read its studies and trials.

Every error is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

from tunesmith.cli.common import (
    OneLineGroup,
    fail,
    open_storage,
    read_study,
    storage_option,
)
from tunesmith.cli.compare import compare as compare_command
from tunesmith.cli.output import (
    best_payload,
    dump_rows,
    print_best,
    print_rows,
    study_row,
    trial_rows_for,
)
from tunesmith.cli.run import run as run_command
from tunesmith.ranking import best_trials

__all__ = ["cli", "main"]

_KEY_COLUMNS = ("number", "state", "value", *(f"values_{i}" for i in range(8)))


@click.group(cls=OneLineGroup, name="tunesmith", no_args_is_help=True)
@click.version_option(
    package_name="tunesmith", prog_name="tunesmith", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Search hyperparameters from the command line; results live in a SQL storage."""


cli.add_command(run_command)
cli.add_command(compare_command)


def format_option(*formats: str) -> Any:
    """``--format`` of the reading commands: one of ``formats``, the first by default."""
    return click.option(
        "--format", "fmt", type=click.Choice(formats), default=formats[0], show_default=True
    )


# -- reading results ----------------------------------------------------------------------------
@cli.command()
@storage_option
@format_option("table", "csv", "json")
def studies(storage: str, fmt: str) -> None:
    """List the studies: name, directions, strategy, trial counts and best value."""
    backend = open_storage(storage, create=False)
    rows = []
    for info in backend.list_studies():
        trials, _ = backend.read(info.study_id, 0)
        rows.append(study_row(info, trials))
    if fmt != "table":
        click.echo(dump_rows(rows, fmt), nl=fmt == "json")
    elif not rows:
        click.echo(f"No studies in {storage}.")
    else:
        print_rows(Console(), rows, f"Studies in {storage}", keep=("name",))


@cli.command()
@click.argument("study")
@storage_option
@format_option("table", "csv", "json")
def trials(study: str, storage: str, fmt: str) -> None:
    """Every trial of STUDY: number, state, value(s), params, user attrs, timing, error."""
    info, found = read_study(storage, study)
    rows = trial_rows_for(found, info.directions)
    if fmt != "table":
        click.echo(dump_rows(rows, fmt), nl=fmt == "json")
    else:
        print_rows(
            Console(),
            rows,
            f"Trials of {study!r} ({', '.join(info.directions)})",
            drop=("started", "finished"),
            keep=_KEY_COLUMNS,
        )


@cli.command()
@click.argument("study")
@storage_option
@format_option("table", "json")
def best(study: str, storage: str, fmt: str) -> None:
    """The best trial of STUDY, or its Pareto front when it has several objectives."""
    info, found = read_study(storage, study)
    if not best_trials(found, info.directions):
        fail(
            f"Study {study!r} has no completed trial yet ({len(found)} trials), so it has no "
            "best trial."
        )
    if fmt == "json":
        click.echo(json.dumps(best_payload(info, found), indent=2, allow_nan=False))
    else:
        print_best(Console(), study, info.directions, found)


def main() -> None:
    """Entry point of the ``tunesmith`` script."""
    cli()
