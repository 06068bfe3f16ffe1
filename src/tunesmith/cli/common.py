"""What every ``tunesmith`` command shares: one-line errors (``CLIError``, ``fail``), the
--storage and --jobs options, loading FILE.py[:FUNCTION], opening storage (never in memory) and
reading a study without ever creating files a read-only command was not asked to."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy.engine import make_url

from tunesmith.cli.load import LoadedTarget, LoadError, load_target
from tunesmith.interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated
from tunesmith.storage import Storage, StorageError, StudyInfo, StudyNotFoundError, get_storage
from tunesmith.trial import FrozenTrial
from tunesmith.validation import N_JOBS

__all__ = [
    "DEFAULT_STORAGE",
    "CLIError",
    "OneLineGroup",
    "fail",
    "check_jobs",
    "find_study",
    "open_target",
    "open_storage",
    "read_study",
    "storage_errors",
    "storage_option",
]

DEFAULT_STORAGE = "sqlite:///tunesmith.db"


class CLIError(click.ClickException):
    """A command cannot do what it was asked; shown as one line, exit code 2."""

    exit_code = 2


class OneLineGroup(click.Group):
    """A group whose errors, click's usage errors included, print as one line on stderr."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # bare ``tunesmith``: the help text, as click prints it
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            message = " ".join(exc.format_message().split())
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                message += f" (see '{exc.ctx.command_path} --help')"
            click.echo(f"Error: {message}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        sys.exit(0)


def exit_interrupted(exc: BaseException, what_happened: str) -> NoReturn:
    """After Ctrl-C (exit 130) or SIGTERM (exit 143): one line, "Interrupted: ..." or
    "Terminated: ..." followed by ``what_happened``."""
    terminated = isinstance(exc, Terminated)
    click.echo(f"{'Terminated' if terminated else 'Interrupted'}: {what_happened}", err=True)
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def fail(message: str) -> NoReturn:
    """End the command with ``message`` on one line of stderr and exit code 2."""
    raise CLIError(" ".join(str(message).split()))


def open_target(spec: str, direction: str | None) -> LoadedTarget:
    """``FILE.py[:FUNCTION]`` loaded (see ``load_target``); any problem ends the command."""
    try:
        return load_target(spec, direction)
    except LoadError as exc:
        fail(str(exc))


def check_jobs(_ctx: click.Context, param: click.Parameter, value: int) -> int:
    """The --jobs callback: the rule of ``n_jobs`` everywhere (``validation.N_JOBS``)."""
    if not N_JOBS.accepts(value):
        raise click.BadParameter(f"must be {N_JOBS.rule}. Got {value} instead.", param=param)
    return value


def jobs_option(help_text: str) -> Any:
    """The shared ``--jobs N`` option (-1: one per core), checked by ``check_jobs``."""
    return click.option(
        "--jobs",
        "n_jobs",
        type=int,
        default=1,
        show_default=True,
        callback=check_jobs,
        metavar="N",
        help=help_text,
    )


def storage_option(func: Any) -> Any:
    """The --storage option of every command, with its one default (``DEFAULT_STORAGE``)."""
    return click.option(
        "--storage",
        default=DEFAULT_STORAGE,
        show_default=True,
        metavar="URL",
        help="Where studies live: sqlite:///PATH.db or postgresql://user@host/db.",
    )(func)


def _sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///PATH`` URL, None for memory or unparsable URLs."""
    try:
        database = make_url(url).database
    except Exception:  # noqa: BLE001 - get_storage reports a bad URL
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _in_memory(url: str) -> bool:
    """Whether ``url`` names an in-memory SQLite database (``sqlite://``, ``:memory:``)."""
    if not url.startswith("sqlite"):
        return False
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - get_storage reports a bad URL
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"


def _bad_url(url: str) -> NoReturn:
    """End the command: ``url`` is no storage URL."""
    fail(
        f"The --storage option must be a URL such as {DEFAULT_STORAGE!r} or "
        f"'postgresql://user@host/db'. Got {url!r} instead."
    )


def open_storage(url: str, create: bool) -> Storage:
    """The storage at ``url``, never in memory; read-only commands never create a SQLite file."""
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+")):
        _bad_url(url)
    if _in_memory(url):
        fail(
            f"The --storage option must name a database file such as 'sqlite:///PATH.db'. "
            f"Got {url!r} instead: an in-memory database loses every study when the command "
            "ends."
        )
    path = _sqlite_file(url) if url.startswith("sqlite") else None
    if path is not None and not create and not path.exists():
        fail(
            f"No tunesmith database at {path} (from --storage {url}); run "
            "'tunesmith run' first or pass --storage URL."
        )
    try:
        return get_storage(url)
    except ValueError:
        _bad_url(url)
    except (StorageError, ImportError) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's URL and driver errors, in one line
        fail(f"The --storage URL {url!r} cannot be opened: {type(exc).__name__}: {exc}")


def storage_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """A command's StorageError or ValueError (a damaged database): one line, exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (StorageError, ValueError) as exc:
            fail(f"Cannot use --storage {kwargs['storage']}: {exc}")

    return wrapper


def find_study(backend: Storage, url: str, name: str) -> StudyInfo:
    """The study named ``name``; a missing one ends the command, naming the studies there."""
    try:
        return backend.get_study(name)
    except StudyNotFoundError:
        names = [s.name for s in backend.list_studies()]
        known = f" Studies there: {', '.join(names)}." if names else " It holds no study yet."
        fail(f"No study named {name!r} in {url}.{known}")


def read_study(url: str, name: str) -> tuple[StudyInfo, list[FrozenTrial]]:
    """The study named ``name`` at ``url`` and its trials by number, opened read-only."""
    backend = open_storage(url, create=False)
    info = find_study(backend, url, name)
    trials, _ = backend.read(info.study_id, 0)
    return info, sorted(trials, key=lambda t: t.number)
