"""``tunesmith plot``: draw one figure of a stored study (EDF: of several) to a PNG file,
reading the storage read-only; every error is one line (``fail``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tunesmith.cli.common import fail, read_study, storage_errors, storage_option
from tunesmith.importance import StudyData, importance_with_spread
from tunesmith.viz import (
    StudySource,
    plot_contour,
    plot_edf,
    plot_history,
    plot_importance,
    plot_intermediate,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
    plot_strategy,
    plot_timeline,
    plot_worker_timeline,
)

__all__ = ["plot", "KINDS"]

# --kind -> (draws from one study, takes --params)
KINDS: dict[str, tuple[Callable[..., Any], bool]] = {
    "history": (plot_history, False),
    "intermediate": (plot_intermediate, False),
    "parallel": (plot_parallel_coordinates, True),
    "slice": (plot_slice, True),
    "contour": (plot_contour, True),
    "pareto": (plot_pareto_front, False),
    "edf": (plot_edf, False),
    "timeline": (plot_timeline, False),
    "workers": (plot_worker_timeline, False),
    "strategy": (lambda source, params=None: _strategy(source, params), True),
    "importance": (lambda source, params=None: _importance(source, params), True),
}


def _strategy(source: StudySource, params: list[str] | None) -> Any:
    """The strategy's view; TPE's panels default to the most important parameters (ped, the
    model-free estimate), or where l and g differ most when importance cannot say."""
    name = (source.strategy or {}).get("name")
    if params is None and name == "tpe":
        try:
            data = StudyData(source.trials, source.directions)
            target = 0 if len(source.directions) > 1 else None
            params = list(importance_with_spread(data, "ped", target=target, n_repeats=1))[:4]
        except ValueError:
            params = None
    return plot_strategy(source, params=params)


def _importance(source: StudySource, params: list[str] | None) -> Any:
    """Importance of the first objective (fanova, needing scikit-learn; else ped), 3 repeats."""
    data = StudyData(source.trials, source.directions)
    target = 0 if len(source.directions) > 1 else None
    try:
        shares = importance_with_spread(data, "fanova", params=params, target=target)
        method = "fanova"
    except ImportError:
        shares = importance_with_spread(data, "ped", params=params, target=target)
        method = "ped"
    which = " (objective 0)" if target is not None else ""
    return plot_importance(shares, f"Importance in {source.name!r}{which}: {method}, 3 fits")


def _param_list(_ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """--params a,b: the names, in order; None when not given."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise click.BadParameter(f"must name parameters, as in 'lr,momentum'. Got {value!r}.")
    return names


def _figure(kind: str, sources: list[StudySource], params: list[str] | None) -> Any:
    """The figure of ``kind``; a rule the study breaks ends the command in one line."""
    draw, takes_params = KINDS[kind]
    if params is not None and not takes_params:
        fail(
            "The --params option works with --kind parallel, slice, contour, importance or "
            "strategy (TPE). "
            f"Got {kind}."
        )
    try:
        if kind == "edf":
            return draw(sources)
        return draw(sources[0], params) if takes_params else draw(sources[0])
    except ImportError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"Cannot draw --kind {kind} of {sources[0].name!r}: {exc}")


@click.command("plot")
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    default="history",
    show_default=True,
    help="Which figure; edf takes several study names.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PNG file to write.",
)
@click.option(
    "--params",
    callback=_param_list,
    metavar="A,B",
    help="Parameters to draw (parallel, slice, contour, importance, strategy); default: all "
    "(contour: three; strategy: the four most important).",
)
@storage_option
@storage_errors
def plot(names: tuple[str, ...], kind: str, output: Path, params: Any, storage: str) -> None:
    """Draw a figure of study NAME (for --kind edf, of each NAME) to a PNG file."""
    if len(names) > 1 and kind != "edf":
        fail(f"--kind {kind} draws one study. Got {len(names)} names: {', '.join(names)}.")
    if output.suffix.lower() != ".png":
        fail(f"The -o option must name a .png file. Got {str(output)!r} instead.")
    if not output.parent.is_dir():
        fail(f"The -o option names a file in {str(output.parent)!r}, which is no directory.")
    sources = []
    for name in names:
        info, trials = read_study(storage, name)
        strategy = info.settings.strategy or None
        sources.append(StudySource(info.name, tuple(info.directions), tuple(trials), strategy))
    figure = _figure(kind, sources, params)
    try:
        figure.savefig(output, format="png")
    except OSError as exc:
        fail(f"Cannot write -o {output}: {exc.strerror or exc}.")
    click.echo(f"Wrote the {kind} figure of {', '.join(repr(n) for n in names)} to {output}.")
