"""The documentation site: it builds with `mkdocs build --strict`, its reference names every
public name and every command-line option, and the code on its pages runs.

Code blocks fenced as ```python are run (each page's blocks in order, as one script, in an
empty folder); blocks fenced as ```py are excerpts (a PostgreSQL URL, a cluster, a worker file)
and are not run. Needs the [docs] extra.
"""

from __future__ import annotations

import html
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PUBLIC_MODULES = (
    "tunesmith",
    "tunesmith.strategies",
    "tunesmith.optim",
    "tunesmith.viz",
    "tunesmith.population",
    "tunesmith.importance",
)
# Pages whose ```python blocks are run; pages not listed here hold no runnable code.
RUN_PAGES = (
    "index.md",
    "getting-started.md",
    "optimizers.md",
    "techniques/grid.md",
    "techniques/genetic.md",
    "techniques/gradient.md",
    "techniques/tpe.md",
    "techniques/cmaes.md",
    "techniques/nsga2.md",
    "techniques/gp.md",
    "techniques/auto.md",
    "how-to/resume.md",
    "how-to/parallel.md",
    "how-to/prune.md",
    "how-to/constraints.md",
    "how-to/sklearn.md",
    "how-to/population.md",
    "how-to/compare.md",
    "how-to/plots.md",
    "migration/optuna.md",
    "migration/sklearn.md",
    "migration/torch-optim.md",
)
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)


def build(site: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the repository's site into ``site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml"]
    return subprocess.run(
        [*command, "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site; the build must pass --strict without a single warning."""
    out = tmp_path_factory.mktemp("site")
    result = build(out)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "WARNING" not in log and "ERROR" not in log, log[-4000:]
    return out


def reference_ids(site: Path) -> set[str]:
    """Every anchor id of the reference pages (mkdocstrings names them by dotted path)."""
    ids: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        ids |= set(re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8")))
    return ids


def public_names(module_name: str) -> list[str]:
    """The module's `__all__`, and for strategies every registered class (loaded on first use,
    so public outside `__all__`)."""
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    if module_name == "tunesmith.strategies":
        names += [cls for _, cls in module._REGISTRY.values()]
    return names


def documented(name: str, module_name: str, ids: set[str]) -> bool:
    """Whether the reference has an entry whose path is under the module and ends in name."""
    return any(i.startswith(module_name + ".") and i.rsplit(".", 1)[-1] == name for i in ids)


EXTERNAL = re.compile(r'<(?:link|script|img)\b[^>]*(?:href|src)="(?:https?:)?//', re.I)


def test_the_site_builds_strictly(site):
    for page in ("index.html", "getting-started/index.html", "reference/cli/index.html"):
        assert (site / page).is_file(), page


def test_the_site_loads_nothing_from_elsewhere(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 30
    outside = [str(p.relative_to(site)) for p in pages if EXTERNAL.search(p.read_text("utf-8"))]
    assert not outside, f"pages that load fonts, scripts or images from the network: {outside}"
    assert EXTERNAL.search('<link rel="stylesheet" href="https://fonts.example/css">')


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_in_the_reference(site, module_name):
    ids = reference_ids(site)
    missing = [n for n in public_names(module_name) if not documented(n, module_name, ids)]
    assert not missing, f"{module_name}: not in docs/reference: {missing}"


def test_the_name_check_sees_a_missing_name(site):
    ids = reference_ids(site) - {"tunesmith.create_study"}
    assert not documented("create_study", "tunesmith", ids)
    assert documented("create_study", "tunesmith", ids | {"tunesmith.create_study"})


def cli_sections(site: Path) -> dict[str, str]:
    """The text of each command's section of the CLI page, by command name."""
    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    parts = re.split(r'id="tunesmith-([a-z-]+)"', page)
    return {
        name: html.unescape(re.sub(r"<[^>]+>", " ", text))
        for name, text in zip(parts[1::2], parts[2::2])
    }


def argument_label(argument: click.Argument) -> str:
    """How the usage line names an argument: its metavar, or its name in capitals."""
    return (argument.metavar or argument.name.upper()).removesuffix("...")


def missing_options(sections: dict[str, str]) -> list[str]:
    """'command option' for every option of every `tunesmith` command the page lacks."""
    from tunesmith.cli import cli

    missing = []
    for name, command in cli.commands.items():
        text = sections.get(name)
        if text is None:
            missing.append(name)
            continue
        params = [
            p for p in command.get_params(click.Context(command)) if isinstance(p, click.Option)
        ]
        missing += [
            f"{name} {o}" for p in params for o in p.opts + p.secondary_opts if o not in text
        ]
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        missing += [f"{name} {a.name}" for a in arguments if argument_label(a) not in text]
    return missing


def test_every_command_and_option_is_in_the_cli_reference(site):
    sections = cli_sections(site)
    assert len(sections) >= 10
    assert not missing_options(sections)


def test_the_option_check_sees_a_missing_option(site):
    sections = cli_sections(site)
    sections["run"] = sections["run"].replace("--replace-strategy", "")
    assert missing_options(sections) == ["run --replace-strategy"]
    del sections["best"]
    assert "best" in missing_options(sections)


def test_the_gallery_shows_every_example(site):
    page = (site / "examples" / "index.html").read_text(encoding="utf-8")
    for script in sorted((ROOT / "examples").glob("*.py")):
        first_line = script.read_text(encoding="utf-8").splitlines()[1]  # past the opening quotes
        assert f"examples/{script.name}" in page, script.name
        assert html.escape(first_line.strip()[:40], quote=False) in page, script.name


def python_blocks(text: str) -> str:
    """The page's ```python blocks, dedented (blocks inside tabs are indented), as one script."""
    return "\n\n".join(
        textwrap.dedent(body) for _, lang, body in FENCE.findall(text) if lang == "python"
    )


def test_the_extractor_reads_indented_blocks_and_skips_excerpts():
    text = (
        '```python\na = 1\n```\n\n=== "tab"\n\n    ```python\n    b = a\n    ```\n\n```py\nc\n```\n'
    )
    assert python_blocks(text) == "a = 1\n\n\nb = a\n"


# Runs pages given as JSON [[page, code, folder], ...] in one interpreter (imports are paid
# once), each in a fresh namespace and its own folder; prints {page: [ok, output]} as JSON.
RUNNER = """
import contextlib, io, json, os, sys, traceback
results = {}
for page, code, folder in json.load(sys.stdin):
    os.chdir(folder)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile(code, page, "exec"), {"__name__": "__main__"})
        results[page] = [True, out.getvalue()]
    except BaseException:
        results[page] = [False, out.getvalue() + traceback.format_exc()]
print("RESULTS" + json.dumps(results))
"""


def run_pages(pages: list[tuple[str, str, str]]) -> dict[str, tuple[bool, str]]:
    """Run [(page, code, folder)] in one fresh interpreter; {page: (ran to the end, output)}."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(pages), env=env, capture_output=True,
        text=True, timeout=900,
    )  # fmt: skip
    assert "RESULTS" in result.stdout, result.stdout[-2000:] + result.stderr[-4000:]
    found = json.loads(result.stdout.rsplit("RESULTS", 1)[1])
    return {page: (ok, output) for page, (ok, output) in found.items()}


@pytest.fixture(scope="module")
def page_runs(tmp_path_factory) -> dict[str, tuple[bool, str]]:
    """Every runnable page, each in its own empty folder, in two interpreters side by side."""
    jobs = [
        (page, python_blocks((DOCS / page).read_text(encoding="utf-8")),
         str(tmp_path_factory.mktemp(page.replace("/", "-"))))
        for page in RUN_PAGES
    ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = list(pool.map(run_pages, (jobs[0::2], jobs[1::2])))
    return {**halves[0], **halves[1]}


def test_every_page_with_python_code_is_run():
    with_code = {
        str(p.relative_to(DOCS))
        for p in DOCS.rglob("*.md")
        if python_blocks(p.read_text(encoding="utf-8"))
    }
    assert with_code == set(RUN_PAGES)


@pytest.mark.parametrize("page", RUN_PAGES)
def test_the_code_of_the_page_runs(page_runs, page):
    ok, output = page_runs[page]
    assert ok, f"{page}:\n{output[-4000:]}"
    assert output.strip(), f"{page} printed nothing"
