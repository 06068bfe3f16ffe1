"""Every plot_* draws every kind of study to a PNG, and ``tunesmith plot`` writes one."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tunesmith import Choice, Float, Int, create_study
from tunesmith.cli.plot import plot
from tunesmith.trial import FrozenTrial, TrialState
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

PNG = b"\x89PNG\r\n\x1a\n"
C, P, F = TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL
SPACE = {"lr": Float(1e-5, 1e-1, log=True), "opt": Choice(["adam", "sgd", "rms"]), "n": Int(1, 9)}


def _single() -> StudySource:
    """Log, categorical and int parameters; complete, pruned, failed and running trials."""
    trials = []
    for i in range(30):
        params = {"lr": 10.0 ** -(1 + i % 5), "opt": SPACE["opt"].options[i % 3], "n": 1 + i % 9}
        state = [C, C, C, P, F][i % 5] if i < 29 else TrialState.RUNNING
        value = (math.log10(params["lr"]) + 3) ** 2 + params["n"] if state is C else None
        curve = {s: 10.0 / (s + 1) + i % 4 for s in range(6 if state is P else 12)}
        trials.append(
            FrozenTrial(
                i,
                state,
                params,
                dict(SPACE),
                values=None if value is None else (value,),
                intermediate=curve,
                started=100.0 + i,
                finished=None if i == 29 else 101.5 + i,
            )
        )
    return StudySource("single", ("minimize",), tuple(trials))


def _define_by_run() -> StudySource:
    """Conditional parameters: momentum only with sgd, depth only with trees."""
    trials = []
    for i in range(24):
        kind = ["sgd", "adam", "tree"][i % 3]
        params, dists = {"kind": kind}, {"kind": Choice(["sgd", "adam", "tree"])}
        if kind == "sgd":
            params["momentum"], dists["momentum"] = i / 24, Float(0.0, 1.0)
        if kind == "tree":
            params["depth"], dists["depth"] = 2 + i % 6, Int(2, 8, log=True)
        trials.append(FrozenTrial(i, C, params, dists, values=(float(i % 7),)))
    return StudySource("define-by-run", ("maximize",), tuple(trials))


def _multi(count: int) -> StudySource:
    trials = [
        FrozenTrial(
            i,
            C,
            {"a": i / 20, "b": (i * 7 % 20) / 20},
            {"a": Float(0, 1), "b": Float(0, 1)},
            values=tuple((i * (k + 3)) % 11 / 10 for k in range(count)),
        )
        for i in range(20)
    ]
    return StudySource(
        f"{count} objectives", ("minimize", "maximize", "minimize")[:count], tuple(trials)
    )


def _all_failed() -> StudySource:
    trials = [FrozenTrial(i, F, {"lr": 0.01}, {"lr": SPACE["lr"]}, error="boom") for i in range(5)]
    return StudySource("all failed", ("minimize",), tuple(trials))


STUDIES = {
    "single": _single(),
    "define-by-run": _define_by_run(),
    "two": _multi(2),
    "three": _multi(3),
    "empty": StudySource("empty", ("minimize",), ()),
    "all-failed": _all_failed(),
}
PLOTS = {
    "history": plot_history,
    "intermediate": plot_intermediate,
    "parallel": plot_parallel_coordinates,
    "slice": plot_slice,
    "contour": plot_contour,
    "pareto": plot_pareto_front,
    "timeline": plot_timeline,
    "workers": plot_worker_timeline,
    "strategy": plot_strategy,
    "edf": lambda s: plot_edf([s, STUDIES["single"]] if s.directions[0] == "minimize" else [s]),
}


def _is_png(path: Path) -> bool:
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 1000


@pytest.mark.parametrize("kind", list(PLOTS))
def test_every_plot_draws_every_study(kind: str, tmp_path: Path) -> None:
    for name, study in STUDIES.items():
        if name == "three" and kind not in ("pareto", "history", "parallel"):
            continue  # the third objective changes only these figures
        figure = PLOTS[kind](study)
        assert type(figure).__name__ == "Figure" and figure.axes, (kind, name)
        path = tmp_path / f"{kind}-{name}.png"
        figure.savefig(path, format="png", dpi=30)
        assert _is_png(path), (kind, name)


def test_plots_draw_what_the_data_holds() -> None:
    slices = plot_slice(STUDIES["single"])
    assert [a.get_xlabel() for a in slices.axes[:3]] == ["lr", "n", "opt"]
    assert slices.axes[0].get_xscale() == "log"
    assert [t.get_text() for t in slices.axes[2].get_xticklabels()] == ["adam", "sgd", "rms"]
    history = plot_history(STUDIES["two"])
    assert [a.get_ylabel() for a in history.axes] == [
        "objective 0 (minimize)",
        "objective 1 (maximize)",
    ]
    front = plot_pareto_front(STUDIES["three"])
    assert front.axes[0].name == "3d"
    contour = plot_contour(STUDIES["single"], params=["lr", "opt"])
    assert len([a for a in contour.axes if a.get_label() != "<colorbar>"]) == 1


def test_a_live_study_draws(tmp_path: Path) -> None:
    study = create_study(space=SPACE, seed=0, strategy="random")
    study.optimize(lambda t: math.log10(t.params["lr"]) ** 2 + t.params["n"], n_trials=15)
    for draw in (plot_history, plot_contour):
        draw(study).savefig(tmp_path / "live.png", dpi=30)
        assert _is_png(tmp_path / "live.png")


def test_the_plot_command_writes_a_png(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    study = create_study("demo", storage=url, space=SPACE, seed=0)
    study.optimize(lambda t: t.params["n"] + t.params["lr"], n_trials=8)
    runner = CliRunner()
    out = tmp_path / "slice.png"
    args = ["demo", "--kind", "slice", "--params", "lr,n", "-o", str(out), "--storage", url]
    result = runner.invoke(plot, args)
    assert result.exit_code == 0, result.output
    assert _is_png(out)
    edf = runner.invoke(plot, ["demo", "demo", "--kind", "edf", "-o", str(out), "--storage", url])
    assert edf.exit_code == 0, edf.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "-o", "f.png"], "No study named 'nope'"),
        (["demo", "-o", "f.jpg"], "The -o option must name a .png file"),
        (["demo", "--params", "zz", "--kind", "slice", "-o", "f.png"], "Got ['zz'] instead"),
        (["demo", "--params", "lr", "-o", "f.png"], "--params option works with --kind"),
        (["demo", "demo", "-o", "f.png"], "--kind history draws one study"),
    ],
)
def test_the_plot_command_fails_in_one_line(tmp_path: Path, args, message) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    create_study("demo", storage=url, space=SPACE, seed=0).optimize(
        lambda t: t.params["n"], n_trials=3
    )
    result = CliRunner().invoke(plot, [*args, "--storage", url])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_a_missing_matplotlib_names_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["matplotlib"] = None
        from tunesmith.viz import plot_history
        try:
            plot_history([])
        except ImportError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert 'pip install "tunesmith[plot]"' in done.stdout, done.stderr


@pytest.mark.parametrize("strategy", ["tpe", "genetic", "nsga2", "cmaes", "gradient", "grid"])
def test_every_strategy_view_draws_every_study(strategy: str, tmp_path: Path) -> None:
    for name, study in STUDIES.items():
        figure = plot_strategy(study, strategy=strategy)
        assert type(figure).__name__ == "Figure" and figure.axes, (strategy, name)
        figure.savefig(tmp_path / "s.png", format="png", dpi=30)
        assert _is_png(tmp_path / "s.png"), (strategy, name)


def test_a_strategy_view_says_what_it_shows() -> None:
    tpe = plot_strategy(STUDIES["single"], strategy="tpe")
    assert tpe.get_suptitle().startswith("TPE's split of 'single'")
    assert {a.get_xlabel() for a in tpe.axes} == {"lr", "n", "opt"}
    grid = plot_strategy(STUDIES["single"], strategy="grid")
    assert any("grid search keeps no model" in t.get_text() for t in grid.texts)
    lanes = plot_worker_timeline(STUDIES["single"])
    assert lanes.axes[0].get_ylabel() == "worker lane"
    assert "29 trials" not in lanes.axes[0].get_title()


def test_importance_bars_are_sorted_with_their_spread(tmp_path: Path) -> None:
    figure = plot_importance({"lr": (0.6, 0.1), "n": (0.1, 0.02), "opt": (0.3, 0.05)})
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["n", "opt", "lr"]
    widths = [round(p.get_width(), 6) for p in axes.patches]
    assert widths == [0.1, 0.3, 0.6]
    figure.savefig(tmp_path / "i.png", format="png", dpi=30)
    assert _is_png(tmp_path / "i.png")
    with pytest.raises(ValueError, match="The 'shares' parameter"):
        plot_importance({})


def test_importance_of_a_study_is_computed_for_the_bars() -> None:
    study = create_study(space={"x": Float(-1, 1), "noise": Float(-1, 1)}, seed=0)
    study.optimize(lambda t: t.params["x"] ** 2 + 1e-3 * t.params["noise"], n_trials=60)
    figure = plot_importance(study)  # fanova, three fits
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["noise", "x"]  # largest on top
    widths = [p.get_width() for p in axes.patches]
    assert widths[1] > 0.7 and abs(sum(widths) - 1.0) < 1e-9


@pytest.mark.parametrize("kind", ["importance", "strategy", "workers"])
def test_the_plot_command_draws_the_new_kinds(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    study = create_study("demo", storage=url, space=SPACE, seed=0, strategy="tpe")
    study.optimize(lambda t: t.params["n"] + math.log10(t.params["lr"]) ** 2, n_trials=16)
    out = tmp_path / f"{kind}.png"
    result = CliRunner().invoke(plot, ["demo", "--kind", kind, "-o", str(out), "--storage", url])
    assert result.exit_code == 0, result.output
    assert _is_png(out)


def test_importance_of_too_few_trials_fails_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    create_study("demo", storage=url, space=SPACE, seed=0).optimize(
        lambda t: t.params["n"], n_trials=3
    )
    args = ["demo", "--kind", "importance", "-o", str(tmp_path / "i.png"), "--storage", url]
    result = CliRunner().invoke(plot, args)
    assert result.exit_code == 2 and "Cannot draw --kind importance" in result.output
    assert result.output.count("\n") == 1


def test_log_axes_have_short_plain_labels() -> None:
    from tunesmith.viz.render import _short

    assert [_short(v) for v in (1e-5, 0.01, 0.5, 512, 1e4, 2e6)] == [
        "1e-5",
        "0.01",
        "0.5",
        "512",
        "1e4",
        "2e+06",
    ]
    slices = plot_slice(STUDIES["single"])
    slices.savefig(__import__("io").BytesIO(), format="png", dpi=30)  # ticks are made on draw
    labels = [t.get_text() for t in slices.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all("$" not in text for text in labels)  # no typeset mathtext
    assert len(slices.axes[0].xaxis.get_minorticklocs()) == 0  # no minor ticks to build
