"""``tunesmith run``: optimize the objective of a file, resuming its study when it exists.

Four steps, one function each: load FILE.py[:FUNCTION] (shared with ``tunesmith compare``), open
or create the study (noting what a resumed study keeps), run it with progress, print the result.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import click
from rich.console import Console

from tunesmith.cli.common import (
    exit_interrupted,
    fail,
    jobs_option,
    open_storage,
    open_target,
    storage_option,
)
from tunesmith.cli.load import LoadedTarget
from tunesmith.cli.output import print_run_summary
from tunesmith.interrupts import Terminated
from tunesmith.records import StudySettings
from tunesmith.space import space_from_json
from tunesmith.storage import Storage, StorageError, StudyInfo, StudyNotFoundError
from tunesmith.strategies import STRATEGY_NAMES, resolve, to_attrs
from tunesmith.study import Study, create_study, load_study
from tunesmith.trial import FrozenTrial, TrialState
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


def _check_strategy(name: str, space: dict[str, Any], directions: tuple[str, ...]) -> None:
    """The strategy can run this space and these directions, or the command ends naming it."""
    try:
        resolve(name).for_directions(directions).check(space, directions)
    except ImportError as exc:
        fail(f"--strategy {name} is not available: {exc}")
    except ValueError as exc:
        fail(f"--strategy {name} cannot run this study: {exc}")


def _keep_or_replace_strategy(
    backend: Storage, info: StudyInfo, strategy: str | None, replace_strategy: bool
) -> None:
    """A resumed study runs its stored strategy; ``--replace-strategy`` stores the new one."""
    stored = _settings(info)
    if strategy is None or strategy == stored.strategy_name:
        return
    if not replace_strategy:
        click.echo(
            f"Note: resuming study {info.name!r}, which keeps its strategy "
            f"{stored.strategy_name!r} (--strategy {strategy} applies only to a new study; add "
            "--replace-strategy to change it).",
            err=True,
        )
        return
    _check_strategy(strategy, space_from_json(stored.space), info.directions)
    settings = replace(stored, strategy=to_attrs(resolve(strategy)))
    backend.set_study_attrs(info.study_id, settings.to_json())
    click.echo(f"Study {info.name!r} now runs strategy {strategy!r}.", err=True)


def _open_study(name: str, url: str, loaded: LoadedTarget, options: dict[str, Any]) -> Study:
    """Resume the study named ``name`` (checked against this run) or create it."""
    strategy, seed = options["strategy"], options["seed"]
    backend = open_storage(url, create=True)
    existing = _existing(backend, name)
    dirs = loaded.directions
    try:
        if existing is not None:
            _check_resume(existing, dirs, loaded.space, seed, url)
            _keep_or_replace_strategy(backend, existing, strategy, options["replace_strategy"])
            return load_study(name, backend)  # the stored strategy, space and seed
        _check_strategy(strategy or "random", loaded.space, dirs or ("minimize",))
        return create_study(
            name=name,
            storage=backend,
            strategy=strategy or "random",
            space=loaded.space,
            seed=seed,
            heartbeat=options["heartbeat"],
            **_direction_args(dirs),
        )
    except ImportError as exc:
        stored = existing.settings.strategy_name if existing else None
        fail(f"Strategy {strategy or stored!r} is not available: {exc}")
    except (ValueError, StorageError) as exc:
        fail(str(exc))


def _optimize(study: Study, objective: Any, **options: Any) -> list[FrozenTrial]:
    """Run the study with a progress bar; returns the trials this run told. Ctrl-C or
    SIGTERM: one line saying how many trials were put back, exit code 130 or 143."""
    if options["n_trials"] is None and options["timeout"] is None:
        click.echo(
            "Note: no --trials or --timeout; running until the strategy has nothing left "
            "to propose or Ctrl-C.",
            err=True,
        )
    told: list[FrozenTrial] = []
    try:
        study.optimize(
            objective, progress=True, callbacks=[lambda _s, t: told.append(t)], **options
        )
    except (KeyboardInterrupt, Terminated) as exc:
        n = len(study.put_back)
        exit_interrupted(
            exc,
            f"{len(told)} trials finished in this run are stored; {n} unfinished "
            f"{'trial was' if n == 1 else 'trials were'} put back and run first when you "
            "resume (run the same command again).",
        )
    except (ValueError, StorageError, ImportError) as exc:
        fail(str(exc))
    return told


def _print_result(console: Console, name: str, study: Study, told: list[FrozenTrial]) -> None:
    """The summary; exit code 1 when every trial of this run failed (with the last failure)."""
    chosen = getattr(study.strategy, "chosen", None)
    if chosen:
        console.print(f"strategy 'auto' picked {chosen}: {study.strategy.reason}", highlight=False)
    print_run_summary(console, name, study.directions, study.trials)
    if told and all(t.state is TrialState.FAIL for t in told):
        last = told[-1]
        click.echo(
            f"Error: all {len(told)} trials of this run failed; the last (trial {last.number}): "
            f"{last.error}. See 'tunesmith show {name} {last.number}' for its traceback.",
            err=True,
        )
        sys.exit(1)


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
    "--replace-strategy",
    is_flag=True,
    help="Store --strategy as the strategy of an existing study (otherwise it keeps its own).",
)
@click.option(
    "--heartbeat",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="How often running trials of a new study say they are alive; a trial silent for "
    "four heartbeats counts as lost and runs again [default: 10; 0: off].",
)
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
    replace_strategy: bool,
    heartbeat: float | None,
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
    if replace_strategy and strategy is None:
        raise click.UsageError("--replace-strategy needs --strategy NAME.")
    loaded = open_target(target, direction)
    name = name or loaded.target.default_name
    opening = {"strategy": strategy, "seed": seed, "replace_strategy": replace_strategy}
    study = _open_study(name, storage, loaded, {**opening, "heartbeat": heartbeat})
    console = Console()
    told = _optimize(
        study,
        loaded.objective(in_processes=executor == "process"),
        n_trials=n_trials,
        timeout=timeout,
        n_jobs=n_jobs,
        batch_size=batch_size,
        executor=executor,
    )
    _print_result(console, name, study, told)
