"""The ``tunesmith`` command line: run a study from a file, read its studies and trials (one in
full, or the failed ones with their tracebacks), and delete a study.

Every error is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

from tunesmith.cli.common import (
    OneLineGroup,
    fail,
    find_study,
    open_storage,
    read_study,
    storage_errors,
    storage_option,
)
from tunesmith.cli.compare import compare as compare_command
from tunesmith.cli.dashboard import dashboard as dashboard_command
from tunesmith.cli.importance import importance as importance_command
from tunesmith.cli.output import (
    best_payload,
    dump_rows,
    failure_rows,
    failure_text,
    print_best,
    print_rows,
    study_row,
    trial_detail,
    trial_rows_for,
    trial_text,
)
from tunesmith.cli.plot import plot as plot_command
from tunesmith.cli.run import run as run_command
from tunesmith.ranking import best_trials, completed
from tunesmith.storage import StudyNotFoundError
from tunesmith.study import delete_study
from tunesmith.trial import FrozenTrial, TrialState

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
cli.add_command(dashboard_command)
cli.add_command(plot_command)
cli.add_command(importance_command)


def format_option(*formats: str) -> Any:
    """``--format`` of the reading commands: one of ``formats``, the first by default."""
    return click.option(
        "--format", "fmt", type=click.Choice(formats), default=formats[0], show_default=True
    )


# -- reading results ----------------------------------------------------------------------------
@cli.command()
@storage_option
@format_option("table", "csv", "json")
@storage_errors
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
@click.option("--failed", is_flag=True, help="Only the FAIL trials, with where each failed.")
@storage_errors
def trials(study: str, storage: str, fmt: str, failed: bool) -> None:
    """Every trial of STUDY: number, state, value(s), params, user attrs, timing, error.

    With --failed, only the FAIL trials, each with its error and traceback.
    """
    info, found = read_study(storage, study)
    if failed:
        _print_failures(study, info.directions, found, fmt)
    elif fmt != "table":
        click.echo(dump_rows(trial_rows_for(found, info.directions), fmt), nl=fmt == "json")
    else:
        print_rows(
            Console(),
            trial_rows_for(found, info.directions),
            f"Trials of {study!r} ({', '.join(info.directions)})",
            drop=("started", "finished"),
            keep=_KEY_COLUMNS,
        )


def _print_failures(
    study: str, directions: tuple[str, ...], found: list[FrozenTrial], fmt: str
) -> None:
    """``trials --failed``: the FAIL trials as rows, or for people each with its traceback."""
    if fmt != "table":
        click.echo(dump_rows(failure_rows(found, directions), fmt), nl=fmt == "json")
        return
    failed = [t for t in found if t.state is TrialState.FAIL]
    if not failed:
        click.echo(f"No trial of {study!r} failed ({len(found)} trials).")
        return
    click.echo("\n\n".join(failure_text(t) for t in failed))
    click.echo(f"\n{len(failed)} of the {len(found)} trials of {study!r} failed.")


@cli.command()
@click.argument("study")
@storage_option
@format_option("table", "json")
@storage_errors
def best(study: str, storage: str, fmt: str) -> None:
    """The best trial of STUDY, or its Pareto front when it has several objectives."""
    info, found = read_study(storage, study)
    if not best_trials(found, info.directions):
        kind = " that satisfies its constraints" if completed(found) else ""
        fail(
            f"Study {study!r} has no completed trial{kind} yet ({len(found)} trials), so it "
            "has no best trial."
        )
    if fmt == "json":
        click.echo(json.dumps(best_payload(info, found), indent=2, allow_nan=False))
    else:
        print_best(Console(), study, info.directions, found)


@cli.command()
@click.argument("study")
@click.argument("number", metavar="TRIAL_NUMBER", type=click.IntRange(min=0))
@storage_option
@format_option("table", "json")
@storage_errors
def show(study: str, number: int, storage: str, fmt: str) -> None:
    """One trial of STUDY in full: params, values, steps, attrs, error, traceback, timing."""
    info, found = read_study(storage, study)
    trial = next((t for t in found if t.number == number), None)
    if trial is None:
        held = "it has no trial yet"
        if found:
            held = f"its {len(found)} trials are numbered {found[0].number} to {found[-1].number}"
        fail(f"Study {study!r} has no trial {number}: {held}.")
    if fmt == "json":
        detail = {"study": study, **trial_detail(trial, info.directions)}
        click.echo(json.dumps(detail, indent=2, allow_nan=False))
    else:
        click.echo(trial_text(study, trial, info.directions))


@cli.command()
@click.argument("study")
@storage_option
@click.option("--yes", is_flag=True, help="Delete without asking for confirmation.")
@storage_errors
def delete(study: str, storage: str, yes: bool) -> None:
    """Delete STUDY and all its trials (asks first unless --yes)."""
    backend = open_storage(storage, create=False)
    info = find_study(backend, storage, study)
    count = len(backend.read(info.study_id, 0)[0])
    question = f"Delete study {study!r} and its {count} trials from {storage}?"
    if not yes and not click.confirm(question, default=False, err=True):
        click.echo("Nothing deleted.", err=True)
        sys.exit(1)
    try:
        delete_study(study, backend)
    except StudyNotFoundError:  # deleted by someone else meanwhile
        find_study(backend, storage, study)
    click.echo(f"Deleted study {study!r} and its {count} trials from {storage}.")


def main() -> None:
    """Entry point of the ``tunesmith`` script."""
    cli()
