"""Every script in examples/ runs to the end with a small budget (TUNESMITH_EXAMPLE_SMALL=1:
fewer trials, epochs and seeds through the same code paths) and prints what it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SMALL = "TUNESMITH_EXAMPLE_SMALL"


def number(pattern: str, text: str) -> float:
    """The number captured by ``pattern``'s first group; fails when it is missing."""
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in the output:\n{text[-2000:]}"
    return float(found.group(1))


def check_rastrigin(out: str, folder: Path) -> None:
    assert 0 <= number(r"best f = ([\d.]+)", out) < 150


def check_svc_digits(out: str, folder: Path) -> None:
    assert 0.8 < number(r"best accuracy ([\d.]+)", out) <= 1


def check_sklearn_search(out: str, folder: Path) -> None:
    assert re.search(r"grid:\s+4 candidates x 3 folds", out), out
    assert re.search(r"genetic:\s+3 candidates x 3 folds", out), out
    assert 0.8 < number(r"genetic:.*test accuracy ([\d.]+)", out) <= 1


def check_optimizers_digits(out: str, folder: Path) -> None:
    assert "8 optimizers x 1 epochs" in out
    for name in ("Adagrad", "RMSprop", "SGD (Nesterov)", "AdamW", "SGDHD", "AdamHD"):
        assert 0.3 < number(re.escape(name) + r".*?\s([\d.]+)\s+[\d.]+\n", out) <= 1, name


def check_population_digits(out: str, folder: Path) -> None:
    assert "1 generations of 4 MLPs (64 hidden units), 1 epochs each" in out
    assert "same trials proposed in both searches: True" in out
    population = number(r"best \(population\): accuracy ([\d.]+)", out)
    assert population == number(r"best \(trial by trial\): accuracy ([\d.]+)", out)


def check_population_residual_mlp(out: str, folder: Path) -> None:
    stored = number(r"validation accuracy ([\d.]+)", out)
    assert stored == number(r"the loaded model scores ([\d.]+)", out)  # the kept weights
    assert stored > 0.5


def check_compare_rastrigin(out: str, folder: Path) -> None:
    assert "20 evaluations per run (minimize)" in out
    assert (folder / "rastrigin-2d-report" / "report.html").is_file()
    assert (folder / "rastrigin-2d-report" / "convergence.png").is_file()
    assert "rastrigin-10d-report" not in out


def check_compare_svc(out: str, folder: Path) -> None:
    assert "8 evaluations per run (maximize)" in out
    assert (folder / "svc-report" / "report.html").is_file()
    for technique in ("grid", "random", "genetic", "gradient", "tpe"):
        assert re.search(rf"^{technique}: ", out, re.M), technique


CHECKS = {
    "rastrigin.py": check_rastrigin,
    "svc_digits.py": check_svc_digits,
    "sklearn_search.py": check_sklearn_search,
    "optimizers_digits.py": check_optimizers_digits,
    "population_digits.py": check_population_digits,
    "population_residual_mlp.py": check_population_residual_mlp,
    "compare_rastrigin.py": check_compare_rastrigin,
    "compare_svc.py": check_compare_svc,
}


def run_example(script: Path, folder: Path) -> subprocess.CompletedProcess:
    """The script run as `python examples/NAME.py` from an empty folder, small budget on."""
    env = {**os.environ, SMALL: "1", "MPLBACKEND": "Agg", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Every example run once, two at a time, each in its own folder."""
    folders = {s.name: tmp_path_factory.mktemp(s.stem) for s in EXAMPLES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {s.name: pool.submit(run_example, s, folders[s.name]) for s in EXAMPLES}
    return {name: (future.result(), folders[name]) for name, future in futures.items()}


def test_every_example_has_a_check_and_a_small_budget():
    assert {s.name for s in EXAMPLES} == set(CHECKS)
    for script in EXAMPLES:
        assert f'os.environ.get("{SMALL}") == "1"' in script.read_text(encoding="utf-8"), script


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_example_runs_and_prints_its_result(runs, name):
    result, folder = runs[name]
    assert result.returncode == 0, f"{name}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    CHECKS[name](result.stdout, folder)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_check_fails_on_a_run_that_printed_nothing(name, tmp_path):
    with pytest.raises(AssertionError):
        CHECKS[name]("", tmp_path)


def test_the_population_check_fails_when_the_loaded_model_differs(tmp_path):
    out = "validation accuracy 0.9000; the loaded model scores 0.8000"
    with pytest.raises(AssertionError):
        check_population_residual_mlp(out, tmp_path)
    check_population_residual_mlp(out.replace("0.8000", "0.9000"), tmp_path)
