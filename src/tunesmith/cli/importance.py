"""``tunesmith importance NAME``: each parameter's share of the objective's variance, read-only
(the rule of the reading commands: the study is never written, errors are one line)."""

from __future__ import annotations

import json

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tunesmith.cli.common import fail, read_study, storage_errors, storage_option
from tunesmith.importance import METHODS, StudyData, importance_with_spread
from tunesmith.space import space_from_json

__all__ = ["importance"]


def _target(study: str, directions: tuple[str, ...], target: int | None) -> int | None:
    """The --target index: required for several objectives, inside the objectives."""
    n = len(directions)
    if target is None and n > 1:
        fail(
            f"Study {study!r} has {n} objectives ({', '.join(directions)}); pass --target "
            f"INDEX (0 to {n - 1}) to choose the one to explain."
        )
    if target is not None and not 0 <= target < n:
        fail(f"The --target option must be in [0, {n - 1}] for study {study!r}. Got {target}.")
    return target


def _table(shares: dict[str, tuple[float, float]]) -> Table:
    """Parameter, share and its spread over the repeats, largest share first."""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("parameter", overflow="fold")
    table.add_column("share", justify="right", no_wrap=True)
    table.add_column("± spread", justify="right", no_wrap=True)
    for name, (mean, std) in shares.items():
        table.add_row(Text(name), f"{mean:.3f}", f"± {std:.3f}")
    return table


@click.command("importance")
@click.argument("study")
@storage_option
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="fanova",
    show_default=True,
    help="fanova: a random forest's functional ANOVA (needs scikit-learn); ped: model-free.",
)
@click.option("--target", type=int, default=None, metavar="INDEX", help="Objective to explain.")
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    metavar="N",
    help="Fits whose spread is shown (ped: subsamples of 80% of the trials).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the fits."
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@storage_errors
def importance(
    study: str, storage: str, method: str, target: int | None, repeats: int, seed: int, fmt: str
) -> None:
    """How much each parameter of STUDY matters: shares summing to 1 over its COMPLETE
    trials (fanova: of the objective's variance; ped: of how far the best trials stand
    apart), ± the spread over repeated fits."""
    info, found = read_study(storage, study)
    target = _target(study, info.directions, target)
    data = StudyData(found, info.directions, space_from_json(info.settings.space))
    try:
        shares = importance_with_spread(data, method, target=target, n_repeats=repeats, seed=seed)
    except (ValueError, ImportError) as exc:
        fail(f"Study {study!r}: {exc}")
    if fmt == "json":
        rows = [{"parameter": k, "share": m, "spread": s} for k, (m, s) in shares.items()]
        payload = {"study": study, "method": method, "target": target or 0, "shares": rows}
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
    else:
        console = Console()
        title = f"Importance of the parameters of {study!r} ({method}, {repeats} fits)"
        console.print(title, markup=False, highlight=False)  # names are text, never markup
        console.print(_table(shares))
