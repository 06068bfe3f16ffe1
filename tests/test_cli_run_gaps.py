"""`tunesmith run` on an existing study: the stored strategy wins unless replaced on purpose;
the strategy is checked against the space before anything is written; --heartbeat."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.test_cli import invoke

import tunesmith as ts

QUAD = """
import tunesmith as ts

space = {"x": ts.Float(-2.0, 2.0), "n": ts.Int(0, 3)}


def objective(trial):
    return (trial.params["x"] - 0.5) ** 2 + trial.params["n"]
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory holding ``quad.py`` (a space with an Int)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "quad.py").write_text(QUAD)
    return tmp_path


def stored_strategy() -> str:
    return ts.load_study("quad-objective", "sqlite:///tunesmith.db").strategy.name


def test_strategy_of_an_existing_study_is_kept_with_a_note(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "2", "--strategy", "genetic")
    result = invoke("run", "quad.py", "--trials", "2", "--strategy", "tpe")
    assert "keeps its strategy 'genetic'" in result.stderr and "--replace-strategy" in result.stderr
    assert stored_strategy() == "genetic"
    studies = invoke("studies").stdout
    assert "genetic" in studies and "tpe" not in studies  # what runs is what is shown


def test_replace_strategy_stores_the_new_one(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "2", "--strategy", "genetic")
    result = invoke("run", "quad.py", "--trials", "2", "--strategy", "tpe", "--replace-strategy")
    assert "now runs strategy 'tpe'" in result.stderr
    assert stored_strategy() == "tpe"
    assert "tpe" in invoke("studies").stdout
    assert len(ts.load_study("quad-objective", "sqlite:///tunesmith.db").trials) == 4


def test_replace_strategy_needs_a_strategy(work: Path) -> None:
    result = invoke("run", "quad.py", "--replace-strategy", code=2)
    assert "--replace-strategy needs --strategy" in result.stderr
    assert not (work / "tunesmith.db").exists()


def test_a_strategy_that_cannot_run_the_space_names_the_flag_and_writes_nothing(work: Path):
    result = invoke("run", "quad.py", "--trials", "2", "--strategy", "grid", code=2)
    assert result.stderr.startswith("Error: --strategy grid cannot run this study:")
    assert "'x'" in result.stderr and "Traceback" not in result.output
    assert ts.storage.get_storage("sqlite:///tunesmith.db").list_studies() == []


def test_heartbeat_option_sets_a_new_study_s_heartbeat(work: Path) -> None:
    invoke("run", "quad.py", "--trials", "1", "--heartbeat", "2.5", "--name", "fast")
    study = ts.load_study("fast", "sqlite:///tunesmith.db")
    assert (study.heartbeat_interval, study.grace_period) == (2.5, 10.0)
    invoke("run", "quad.py", "--trials", "1", "--heartbeat", "0", "--name", "off")
    assert ts.load_study("off", "sqlite:///tunesmith.db").heartbeat_interval is None
    result = invoke("run", "quad.py", "--heartbeat", "-1", code=2)
    assert "--heartbeat" in result.stderr
