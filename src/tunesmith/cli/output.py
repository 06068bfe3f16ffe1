"""What the ``tunesmith`` commands print: rich tables for people, CSV and JSON for programs."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tunesmith.ranking import best_trials
from tunesmith.records import SystemKey
from tunesmith.storage import StudyInfo
from tunesmith.study.results import trial_rows
from tunesmith.trial import FrozenTrial, TrialState

__all__ = [
    "best_payload",
    "dump_rows",
    "failure_rows",
    "failure_text",
    "print_best",
    "print_rows",
    "print_run_summary",
    "study_row",
    "trial_detail",
    "trial_text",
]

_STATE_ORDER = [s.value for s in TrialState]


def _fmt(value: Any, width: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def _strategy_name(info: StudyInfo) -> str:
    try:
        return info.settings.strategy_name
    except ValueError:  # damaged settings: the listing still shows the study
        return ""


def study_row(info: StudyInfo, trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """One line of ``tunesmith studies``: name, directions, strategy, counts, best value."""
    best = best_trials(trials, info.directions)
    if len(info.directions) == 1:
        best_value: Any = best[0].values[0] if best else None  # type: ignore[index]
    else:
        best_value = [list(t.values or ()) for t in best] or None
    counts = Counter(t.state.value for t in trials)
    return {
        "name": info.name,
        "directions": list(info.directions),
        "strategy": _strategy_name(info),
        "trials": len(trials),
        "complete": counts.get(TrialState.COMPLETE.value, 0),
        "best_value": best_value,
    }


def _flat(value: Any) -> Any:
    return ",".join(map(str, value)) if isinstance(value, list) else value


def dump_rows(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows as CSV (header = every key, in order of first appearance) or a JSON list."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, allow_nan=False)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _flat(v) for k, v in row.items()})
    return buf.getvalue()


def print_rows(
    console: Console,
    rows: Sequence[dict[str, Any]],
    title: str,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> None:
    """Rows as a rich table, without the ``drop`` columns and any column that is all empty.

    The ``keep`` columns never shrink below their content; the others give way in a narrow
    terminal. Into a file or pipe the table prints at its natural width.
    """
    keys = [k for k in dict.fromkeys(k for row in rows for k in row) if k not in drop]
    keys = [k for k in keys if any(row.get(k) not in (None, "") for row in rows)]
    cells = [[_fmt(_flat(row.get(k)), width=60) for k in keys] for row in rows]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for i, key in enumerate(keys):
        numeric = all(isinstance(row.get(key), (int, float, type(None))) for row in rows)
        header = key.removeprefix("params_")
        widest = max([len(header)] + [len(line[i]) for line in cells])
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="ellipsis" if numeric else "fold",
            no_wrap=numeric or key in keep,
            min_width=min(widest, 40) if key in keep else None,
        )
    for line in cells:
        table.add_row(*(Text(c) for c in line))
    if console.is_terminal:
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update_width(100_000), table).maximum
    squeezed, console.width = console.width, max(console.width, natural)
    try:
        console.print(table)
    finally:
        console.width = squeezed


def trial_rows_for(
    trials: Sequence[FrozenTrial], directions: Sequence[str]
) -> list[dict[str, Any]]:
    """:func:`trial_rows`, in trial-number order."""
    return trial_rows(sorted(trials, key=lambda t: t.number), directions)


def _trial_json(t: FrozenTrial, single: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"number": t.number}
    if single:
        out["value"] = t.values[0] if t.values else None
    out["values"] = list(t.values or ())
    out["params"] = dict(t.params)
    out["user_attrs"] = dict(t.user_attrs)
    return out


def best_payload(info: StudyInfo, trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """``tunesmith best --format json``: the best trial, or ``best_trials`` (the Pareto front)."""
    best = best_trials(trials, info.directions)
    head: dict[str, Any] = {"study": info.name, "directions": list(info.directions)}
    if len(info.directions) == 1:
        return {**head, **_trial_json(best[0], single=True)}
    return {**head, "best_trials": [_trial_json(t, single=False) for t in best]}


def print_best(
    console: Console, name: str, directions: Sequence[str], trials: Sequence[FrozenTrial]
) -> None:
    """The best trial (number, value, params), or the Pareto front for several objectives."""
    best = best_trials(trials, directions)
    single = len(directions) == 1
    title = (
        f"Best trial of {name!r} ({directions[0]})"
        if single
        else f"Pareto front of {name!r} ({', '.join(directions)}): {len(best)} trials"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("number", justify="right")
    if single:
        table.add_column("value", justify="right")
    else:
        for i in range(len(directions)):
            table.add_column(f"values_{i}", justify="right")
    table.add_column("params")
    for t in best:
        values = (_fmt(v) for v in (t.values or ()))
        table.add_row(str(t.number), *values, Text(_params_text(t.params)))
    console.print(table)


def print_run_summary(
    console: Console, name: str, directions: Sequence[str], trials: Sequence[FrozenTrial]
) -> None:
    """After ``tunesmith run``: the best trial (or front), counts per state, the last error."""
    if best_trials(trials, directions):
        print_best(console, name, directions, trials)
    else:
        console.print(f"No trial of {name!r} has completed yet, so there is no best trial.")
    counts = Counter(t.state.value for t in trials)
    shown = {"WAITING": "queued (WAITING, run first next time)"}  # put back or not yet run
    by_state = ", ".join(f"{counts[s]} {shown.get(s, s)}" for s in _STATE_ORDER if counts.get(s))
    console.print(f"Trials: {by_state or 'none'} ({len(trials)} in all)", highlight=False)
    failed = [t for t in trials if t.state is TrialState.FAIL and t.error]
    if failed:
        last = max(failed, key=lambda t: t.number)
        console.print(
            f"Last failure (trial {last.number}): {last.error}", markup=False, highlight=False
        )


# -- one trial in full, failures with their tracebacks ------------------------------------------
_LOST = "failed by the machine (its process was killed or stopped answering), not by the objective"


def _lost(t: FrozenTrial) -> bool:
    return bool(t.system_attrs.get(SystemKey.LOST))


def _interrupted(t: FrozenTrial) -> int:
    return int(t.system_attrs.get(SystemKey.INTERRUPTED) or 0)


def failure_rows(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[dict[str, Any]]:
    """``tunesmith trials --failed`` as CSV or JSON: the FAIL rows, with lost and traceback."""
    failed = sorted((t for t in trials if t.state is TrialState.FAIL), key=lambda t: t.number)
    rows = trial_rows(failed, directions)
    for row, t in zip(rows, failed):
        row.update(lost=_lost(t), traceback=t.traceback)
    return rows


def failure_text(t: FrozenTrial) -> str:
    """One failed trial for people: its params and error, then its traceback (where it failed)."""
    notes = [_params_text(t.params)] if t.params else []
    if t.retry_of is not None:
        notes.append(f"re-run of trial {t.retry_of}")
    head = f"Trial {t.number}" + (f" ({'; '.join(notes)})" if notes else "")
    error = t.error or "no error recorded"
    if _lost(t):
        return f"{head}: {_LOST}: {error}"
    tail = [f"  {line}" for line in (t.traceback or "").rstrip().splitlines()]
    return "\n".join([f"{head}: {error}", *tail])


def trial_detail(t: FrozenTrial, directions: Sequence[str]) -> dict[str, Any]:
    """``tunesmith show --format json``: every field of one trial, bookkeeping included."""
    out: dict[str, Any] = {"number": t.number, "state": t.state.value, "params": dict(t.params)}
    if len(directions) == 1:
        out["value"] = t.values[0] if t.values else None
    out["values"] = list(t.values) if t.values is not None else None
    out["intermediate"] = {str(step): v for step, v in sorted(t.intermediate.items())}
    out["user_attrs"] = dict(t.user_attrs)
    out.update(error=t.error, traceback=t.traceback, started=t.started, finished=t.finished)
    out.update(duration=t.duration, retry_of=t.retry_of, interrupted=_interrupted(t), lost=_lost(t))
    return out


def _when(stamp: float | None) -> str:
    return "" if stamp is None else datetime.fromtimestamp(stamp).isoformat(" ", "seconds")


def _took(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.3g} s" if seconds < 60 else str(timedelta(seconds=round(seconds)))


def _steps_text(intermediate: dict[int, float]) -> str:
    steps = [f"{step}: {_fmt(v)}" for step, v in sorted(intermediate.items())]
    if len(steps) <= 20:
        return ", ".join(steps)
    shown = ", ".join([*steps[:5], "…", *steps[-5:]])
    return f"{shown} ({len(steps)} steps; --format json lists all)"


def _detail_lines(t: FrozenTrial, directions: Sequence[str]) -> list[tuple[str, str]]:
    """The (label, text) lines of :func:`trial_text`, empty fields left out."""
    values = ", ".join(_fmt(v) for v in t.values) if t.values is not None else ""
    label = "value" if len(directions) == 1 else "values"
    lines = [
        ("state", t.state.value),
        ("params", _params_text(t.params)),
        (label, values and f"{values} ({', '.join(directions)})"),
        ("intermediate", _steps_text(t.intermediate)),
        ("user attrs", _params_text(t.user_attrs)),
        ("started", _when(t.started)),
        ("finished", _when(t.finished)),
        ("duration", _took(t.duration)),
        ("re-run of", "" if t.retry_of is None else f"trial {t.retry_of}"),
        ("interrupted", _interrupted(t) and f"put back by Ctrl-C {_interrupted(t)} time(s)"),
        ("lost", _LOST if _lost(t) else ""),
        ("error", t.error or ""),
    ]
    return [(label, str(text)) for label, text in lines if text]


def trial_text(name: str, t: FrozenTrial, directions: Sequence[str]) -> str:
    """``tunesmith show``: one trial in full, one field a line, then its traceback."""
    lines = [f"Trial {t.number} of study {name!r}"]
    lines += [f"  {label:<13}{text}" for label, text in _detail_lines(t, directions)]
    if t.traceback:
        lines.append("  traceback")
        lines += [f"    {line}" for line in t.traceback.rstrip().splitlines()]
    return "\n".join(lines)
