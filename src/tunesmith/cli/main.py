"""The ``tunesmith`` command line: run a study from a file, then read its studies and trials.

Every error is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

import tunesmith as ts
from tunesmith.cli.common import (
    OneLineGroup,
    fail,
    open_storage,
    read_study,
    storage_option,
)
from tunesmith.cli.compare import compare as compare_command
from tunesmith.cli.load import (
    DIRECTIONS,
    FileObjective,
    LoadError,
    file_directions,
    get_function,
    load_module,
    parse_target,
)
from tunesmith.cli.output import (
    best_payload,
    dump_rows,
    print_best,
    print_rows,
    print_run_summary,
    study_row,
    trial_rows_for,
)
from tunesmith.ranking import best_trials
from tunesmith.space import space_from_json, validate_space
from tunesmith.storage import StorageError, StudyInfo, StudyNotFoundError
from tunesmith.strategies import STRATEGY_NAMES

__all__ = ["cli", "main"]

_KEY_COLUMNS = ("number", "state", "value", *(f"values_{i}" for i in range(8)))


@click.group(cls=OneLineGroup, name="tunesmith", no_args_is_help=True)
@click.version_option(ts.__version__, prog_name="tunesmith", message="%(prog)s %(version)s")
def cli() -> None:
    """Search hyperparameters from the command line; results live in a SQL storage."""


cli.add_command(compare_command)


# -- run ----------------------------------------------------------------------------------------
def _check_jobs(_ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 1 and value != -1:
        raise click.BadParameter(
            f"must be an int >= 1, or -1 for all cores. Got {value} instead.", param=param
        )
    return value


def _check_name(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must be a non-empty study name.", param=param)
    return value


def _check_resume(
    info: StudyInfo, dirs: tuple[str, ...] | None, space: dict[str, Any], seed: int | None, url: str
) -> None:
    """A resumed study must agree with the directions and space this run states."""
    if dirs is not None and tuple(info.directions) != dirs:
        fail(
            f"Study {info.name!r} in {url} was created to {', '.join(info.directions)}; this "
            f"run asks to {', '.join(dirs)}. Match it, or give a new --name."
        )
    stored = space_from_json(info.attrs.get("space", {}))
    if space and stored != space:
        fail(
            f"Study {info.name!r} in {url} was created with another space "
            f"({', '.join(stored) or 'define-by-run'}); give a new --name to search this one."
        )
    stored_seed = info.attrs.get("seed")
    if seed is not None and stored_seed != seed:
        click.echo(
            f"Note: resuming study {info.name!r}, which keeps its seed {stored_seed} "
            f"(--seed {seed} applies only to a new study).",
            err=True,
        )


@cli.command()
@click.argument("target", metavar="FILE.py[:FUNCTION]")
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_NAMES, case_sensitive=False),
    help="Search strategy [default: random; a resumed study keeps its own].",
)
@click.option(
    "--trials",
    "n_trials",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N trials of this run.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Ask no new trial after SECONDS.",
)
@click.option(
    "--jobs",
    "n_jobs",
    type=int,
    default=1,
    show_default=True,
    callback=_check_jobs,
    metavar="N",
    help="Trials evaluated at once (-1: one per core).",
)
@storage_option
@click.option(
    "--name",
    callback=_check_name,
    help="Study name [default: FILE stem and FUNCTION, e.g. svc_digits-objective].",
)
@click.option(
    "--direction",
    type=click.Choice(DIRECTIONS),
    help="Overrides the file's `direction` [default: minimize].",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of a new study.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    metavar="N",
    help="Call FUNCTION with lists of N trials (a batched objective).",
)
@click.option(
    "--executor",
    type=click.Choice(["thread", "process"]),
    help="Where --jobs run [default: thread].",
)
def run(
    target: str,
    strategy: str | None,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    storage: str,
    name: str | None,
    direction: str | None,
    seed: int | None,
    batch_size: int | None,
    executor: str | None,
) -> None:
    """Optimize FUNCTION (default: objective) of FILE.py; resumes the study if it exists.

    The file's module-level `space` dict (of tunesmith.Float/Int/Choice) is the search space;
    without one, the function suggests its parameters itself (trial.suggest_*).
    """
    if batch_size is not None and (n_jobs != 1 or executor is not None):
        raise click.UsageError(
            "--batch-size evaluates whole batches in this process; it cannot "
            "be combined with --jobs or --executor."
        )
    try:
        tgt = parse_target(target)
        module = load_module(tgt.path)
        get_function(module, tgt)
        dirs = (direction,) if direction is not None else file_directions(module, tgt.path.name)
    except LoadError as exc:
        fail(str(exc))
    name = name or tgt.default_name
    try:
        space = validate_space(getattr(module, "space", None))
    except ValueError as exc:
        fail(f"{tgt.path.name}: {exc}")
    backend = open_storage(storage, create=True)
    try:
        existing: StudyInfo | None = backend.get_study(name)
    except StudyNotFoundError:
        existing = None
    if existing is not None:
        _check_resume(existing, dirs, space, seed, storage)
    try:
        if existing is not None and strategy is None:
            study = ts.load_study(name, backend)
        else:
            kwargs = (
                {"directions": list(dirs)}
                if dirs and len(dirs) > 1
                else {"direction": dirs[0] if dirs else None}
            )
            study = ts.create_study(
                name=name,
                storage=backend,
                strategy=strategy or "random",
                space=space,
                seed=seed,
                load_if_exists=True,
                **kwargs,
            )
    except ImportError as exc:
        stored = existing.attrs.get("strategy", {}).get("name") if existing else None
        fail(f"Strategy {strategy or stored!r} is not available: {exc}")
    except (ValueError, StorageError) as exc:
        fail(str(exc))
    if n_trials is None and timeout is None:
        click.echo(
            "Note: no --trials or --timeout; running until the strategy has nothing left "
            "to propose or Ctrl-C.",
            err=True,
        )
    objective = FileObjective(tgt) if executor == "process" else getattr(module, tgt.function)
    console = Console()
    try:
        study.optimize(
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            progress=True,
            batch_size=batch_size,
            executor=executor,
        )
    except KeyboardInterrupt:
        click.echo("Interrupted; the trials finished so far are stored.", err=True)
        print_run_summary(console, name, study.directions, study.trials)
        sys.exit(130)
    except (ValueError, StorageError, ImportError) as exc:
        fail(str(exc))
    chosen = getattr(study.strategy, "chosen", None)
    if chosen:
        console.print(f"strategy 'auto' picked {chosen}: {study.strategy.reason}", highlight=False)
    print_run_summary(console, name, study.directions, study.trials)


# -- reading results ----------------------------------------------------------------------------
@cli.command()
@storage_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
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

