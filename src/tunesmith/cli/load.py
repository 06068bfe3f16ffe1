"""Loading ``FILE.py[:FUNCTION]`` for ``tunesmith run`` and ``tunesmith compare``: the
objective, its space and direction, through one loader (``load_target``).

The file is imported from its path as a module registered in ``sys.modules`` under a stable
name derived from its absolute path, like ``python FILE.py`` would run it but with ``__name__``
not ``"__main__"`` (so its ``if __name__ == "__main__":`` block does not run). Objects defined
in it therefore pickle by reference, and :class:`FileObjective` reloads the file by path in
worker processes started with ``spawn`` or ``forkserver``.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tunesmith.space import Distribution, validate_space
from tunesmith.validation import DIRECTIONS

__all__ = [
    "LoadError",
    "Target",
    "LoadedTarget",
    "load_target",
    "parse_target",
    "load_module",
    "get_function",
    "file_directions",
    "FileObjective",
    "module_name",
]

DEFAULT_FUNCTION = "objective"


class LoadError(Exception):
    """The file or function named on the command line cannot be used (message is one line)."""


@dataclass(frozen=True)
class Target:
    """A parsed ``FILE.py[:FUNCTION]``."""

    path: Path
    function: str

    @property
    def default_name(self) -> str:
        """The study name used when ``--name`` is not given: ``<file stem>-<function>``."""
        return f"{self.path.stem}-{self.function}"


def parse_target(spec: str) -> Target:
    """Split ``FILE.py[:FUNCTION]``; a colon counts only when an identifier follows it."""
    file_part, sep, func = spec.rpartition(":")
    if not sep or not func.isidentifier():
        file_part, func = spec, DEFAULT_FUNCTION
    if not file_part:
        raise LoadError(f"The FILE argument must name a Python file. Got {spec!r} instead.")
    path = Path(file_part).expanduser()
    if not path.exists():
        raise LoadError(f"The FILE argument names {str(path)!r}, which does not exist.")
    if not path.is_file():
        raise LoadError(
            f"The FILE argument must be a Python file. Got the directory {str(path)!r}."
        )
    return Target(path.resolve(), func)


def module_name(path: Path) -> str:
    """The stable ``sys.modules`` name of a user file: its stem plus a hash of its path."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"tunesmith_user_{stem}_{digest}"


def load_module(path: Path) -> ModuleType:
    """Import the file at ``path`` (once per process) and return the module."""
    path = path.resolve()
    name = module_name(path)
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # sibling imports work as they do under ``python FILE.py``
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader, origin=str(path))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except KeyboardInterrupt:
        sys.modules.pop(name, None)
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's file, reported in one line
        sys.modules.pop(name, None)
        where = ""
        tb = exc.__traceback__
        while tb is not None:  # the deepest frame inside the user's file
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) and exc.lineno:
            where = f" (line {exc.lineno})"
        raise LoadError(
            f"{path.name} raised {type(exc).__name__} while loading{where}: {_one_line(exc)}"
        ) from None
    return module


def _one_line(exc: BaseException) -> str:
    text = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return " ".join(str(text).split()) or "(no message)"


def get_function(module: ModuleType, target: Target) -> Any:
    """The objective named by ``target`` in ``module``; a clear error if missing or not callable."""
    func = getattr(module, target.function, None)
    if func is None:
        hint = "; name another with FILE.py:FUNCTION" if target.function == DEFAULT_FUNCTION else ""
        raise LoadError(f"{target.path.name} has no function {target.function!r}{hint}.")
    if not callable(func):
        raise LoadError(
            f"{target.path.name}: {target.function!r} must be a function taking a "
            f"trial. Got {type(func).__name__} instead."
        )
    return func


def file_directions(module: ModuleType, file: str) -> tuple[str, ...] | None:
    """The file's module-level ``direction`` or ``directions``; None when it states neither."""
    single, several = getattr(module, "direction", None), getattr(module, "directions", None)
    if single is not None and several is not None:
        raise LoadError(f"{file} sets both 'direction' and 'directions'; keep one.")
    dirs = (single,) if single is not None else several
    if dirs is None:
        return None
    if (
        isinstance(dirs, str)
        or not isinstance(dirs, (list, tuple))
        or not dirs
        or any(d not in DIRECTIONS for d in dirs)
    ):
        what, got = ("direction", single) if single is not None else ("directions", several)
        raise LoadError(
            f"The {what!r} in {file} must be 'minimize' or 'maximize' (a list of "
            f"them for 'directions'). Got {got!r} instead."
        )
    return tuple(dirs)


class FileObjective:
    """A picklable stand-in for ``FILE:FUNCTION``: workers import the file by path, once each."""

    def __init__(self, target: Target):
        self.path = str(target.path)
        self.function = target.function

    def __repr__(self) -> str:
        return f"FileObjective({self.path!r}:{self.function})"

    def __call__(self, trial: Any) -> Any:
        module = load_module(Path(self.path))
        return getattr(module, self.function)(trial)


@dataclass(frozen=True)
class LoadedTarget:
    """A loaded ``FILE.py[:FUNCTION]``: the function, the directions and the declared space."""

    target: Target
    function: Any
    directions: tuple[str, ...] | None  # None: the file states none and no flag was given
    space: dict[str, Distribution]  # empty: define-by-run

    def objective(self, in_processes: bool) -> Any:
        """The function, or its picklable stand-in when it runs in worker processes."""
        return FileObjective(self.target) if in_processes else self.function


def load_target(spec: str, direction: str | None = None) -> LoadedTarget:
    """Parse and import ``FILE.py[:FUNCTION]``; ``direction`` (a flag) overrides the file's.

    Every problem (a missing file or function, a bad direction or space) is one LoadError."""
    target = parse_target(spec)
    module = load_module(target.path)
    function = get_function(module, target)
    dirs = (direction,) if direction is not None else file_directions(module, target.path.name)
    try:
        space = validate_space(getattr(module, "space", None))
    except ValueError as exc:
        raise LoadError(f"{target.path.name}: {_one_line(exc)}") from None
    return LoadedTarget(target, function, dirs, space)
