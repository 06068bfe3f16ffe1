"""``tunesmith run``: optimize the objective of a file, resuming its study when it exists.

Four steps, one function each: load FILE.py[:FUNCTION] (shared with ``tunesmith compare``), open
or create the study (noting what a resumed study keeps), run it with progress, print the result.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console

from tunesmith.cli.common import fail, jobs_option, open_storage, open_target, storage_option
from tunesmith.cli.load import LoadedTarget
from tunesmith.cli.output import print_run_summary
from tunesmith.records import StudySettings
from tunesmith.space import space_from_json
from tunesmith.storage import Storage, StorageError, StudyInfo, StudyNotFoundError
from tunesmith.strategies import STRATEGY_NAMES
from tunesmith.study import Study, create_study, load_study
from tunesmith.validation import DIRECTIONS

__all__ = ["run"]


def _check_name(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must be a non-empty study name.", param=param)
    return value


def _settings(info: StudyInfo) -> StudySettings:
    try:
        return info.settings
    except ValueError as exc:
        fail(f"Study {info.name!r} cannot be resumed: {exc}")


def _check_resume(
    info: StudyInfo, dirs: tuple[str, ...] | None, space: dict[str, Any], seed: int | None, url: str
) -> None:
    """A resumed study must agree with the directions and space this run states."""
    if dirs is not None and tuple(info.directions) != dirs:
        fail(
            f"Study {info.name!r} in {url} was created to {', '.join(info.directions)}; this "
            f"run asks to {', '.join(dirs)}. Match it, or give a new --name."
        )
    settings = _settings(info)
    stored = space_from_json(settings.space)
    if space and stored != space:
        fail(
            f"Study {info.name!r} in {url} was created with another space "
            f"({', '.join(stored) or 'define-by-run'}); give a new --name to search this one."
        )
    if seed is not None and settings.seed != seed:
        click.echo(
            f"Note: resuming study {info.name!r}, which keeps its seed {settings.seed} "
            f"(--seed {seed} applies only to a new study).",
            err=True,
        )


def _existing(backend: Storage, name: str) -> StudyInfo | None:
    try:
        return backend.get_study(name)
    except StudyNotFoundError:
        return None


def _direction_args(dirs: tuple[str, ...] | None) -> dict[str, Any]:
    if dirs and len(dirs) > 1:
        return {"directions": list(dirs)}
    return {"direction": dirs[0] if dirs else None}


def _open_study(
    name: str, url: str, loaded: LoadedTarget, strategy: str | None, seed: int | None
) -> Study:
    """Resume the study named ``name`` (checked against this run) or create it."""
    backend = open_storage(url, create=True)
    existing = _existing(backend, name)
    dirs = loaded.directions
    if existing is not None:
        _check_resume(existing, dirs, loaded.space, seed, url)
    try:
        if existing is not None and strategy is None:
            return load_study(name, backend)  # the stored strategy, space and seed
        return create_study(
            name=name,
            storage=backend,
            strategy=strategy or "random",
            space=loaded.space,
            seed=seed,
            load_if_exists=True,
            **_direction_args(dirs),
        )
    except ImportError as exc:
        stored = existing.settings.strategy_name if existing else None
        fail(f"Strategy {strategy or stored!r} is not available: {exc}")
    except (ValueError, StorageError) as exc:
        fail(str(exc))


def _optimize(study: Study, name: str, objective: Any, console: Console, **options: Any) -> None:
    """Run the study with a progress bar; Ctrl-C keeps what ran and prints it."""
    if options["n_trials"] is None and options["timeout"] is None:
        click.echo(
            "Note: no --trials or --timeout; running until the strategy has nothing left "
            "to propose or Ctrl-C.",
            err=True,
        )
    try:
        study.optimize(objective, progress=True, **options)
    except KeyboardInterrupt:
        click.echo("Interrupted; the trials finished so far are stored.", err=True)
        print_run_summary(console, name, study.directions, study.trials)
        sys.exit(130)
    except (ValueError, StorageError, ImportError) as exc:
        fail(str(exc))


def _print_result(console: Console, name: str, study: Study) -> None:
    chosen = getattr(study.strategy, "chosen", None)
    if chosen:
        console.print(f"strategy 'auto' picked {chosen}: {study.strategy.reason}", highlight=False)
    print_run_summary(console, name, study.directions, study.trials)


@click.command()
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
@jobs_option("Trials evaluated at once (-1: one per core).")
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
    loaded = open_target(target, direction)
    name = name or loaded.target.default_name
    study = _open_study(name, storage, loaded, strategy, seed)
    console = Console()
    _optimize(
        study,
        name,
        loaded.objective(in_processes=executor == "process"),
        console,
        n_trials=n_trials,
        timeout=timeout,
        n_jobs=n_jobs,
        batch_size=batch_size,
        executor=executor,
    )
    _print_result(console, name, study)
