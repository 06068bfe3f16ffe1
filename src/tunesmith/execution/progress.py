"""A live progress bar with the best value so far (rich), or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class NoProgress:
    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def advance(self, best: Callable[[], str]) -> None:
        """One more trial done; ``best()`` gives the text shown beside the bar (asked for only
        when a bar is shown: it reads every trial)."""
        return None

    def waiting(self, text: str) -> None:
        """Show what the run waits for ("" once it waits no more)."""
        return None


class BarProgress(NoProgress):
    """Trials done out of the budget, elapsed time, and the study's best value."""

    def __init__(self, total: int | None, name: str):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"),
            TextColumn("[yellow]{task.fields[note]}"),
            transient=False,
        )
        self._task = self._bar.add_task(name, total=total, best="", note="")

    def __enter__(self) -> BarProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.stop()

    def advance(self, best: Callable[[], str]) -> None:
        self._bar.update(self._task, advance=1, best=best())

    def waiting(self, text: str) -> None:
        self._bar.update(self._task, note=text)


def make_progress(enabled: bool, total: int | None, name: str) -> NoProgress:
    """A rich bar when ``enabled``, else a progress that shows nothing."""
    return BarProgress(total, name) if enabled else NoProgress()
