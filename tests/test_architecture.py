"""The package's imports run one way: faces -> study -> core packages -> trial, space, records.

Walks every module of src/tunesmith with ``ast`` (function-level imports included) and fails on
an upward import, a cross-package private import, an import of ``tunesmith`` itself from inside
the package, or a cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "tunesmith"

# Each unit (a top-level module or package of tunesmith) and its layer; a module may import its
# own unit and units of lower layers only.
LAYERS = {
    "space": 0,
    "records": 0,
    "validation": 0,
    "owner": 0,
    "interrupts": 0,
    "trial": 1,
    "exploration": 1,
    "ranking": 2,
    "outcome": 2,
    "strategies": 3,
    "pruners": 3,
    "storage": 3,
    "execution": 3,
    "optim": 2,
    "study": 4,
    "population": 5,
    "viz": 5,
    "pbt": 5,
    "importance": 4,
    "compare": 6,
    "sklearn": 6,
    "dashboard": 6,
    "cli": 7,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# module name -> (source text, is a package's __init__)
SOURCES = {module_name(p): (p.read_text(), p.name == "__init__.py") for p in ROOT.rglob("*.py")}


def _annotation_only(tree: ast.AST) -> set[ast.AST]:
    """Import nodes under ``if TYPE_CHECKING:``: they never run, so they make no cycle."""
    skip: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(n for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports_of(
    module: str, sources=SOURCES, runtime_only: bool = False
) -> list[tuple[str, list[str], int]]:
    """(target module, imported names, line) for every tunesmith import, at any depth."""
    text, package_init = sources[module]
    package = module if package_init else module.rpartition(".")[0]
    tree = ast.parse(text)
    skip = _annotation_only(tree) if runtime_only else set()
    out = []
    for node in ast.walk(tree):
        if node in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            out.append((target, [a.name for a in node.names], node.lineno))
    return [(t, names, line) for t, names, line in out if t.split(".")[0] == "tunesmith"]


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def private_step(target: str, names: list[str]) -> str | None:
    """The first private part of an import: a ``_module`` on the path or an ``_name``."""
    for part in target.split(".")[1:] + names:
        if part.startswith("_") and not part.startswith("__"):
            return part
    return None


def violations(sources=SOURCES) -> list[str]:
    found = []
    for module in sorted(sources):
        own = unit(module)
        for target, names, line in imports_of(module, sources):
            where = f"{module}:{line} imports {target}"
            if target == "tunesmith" and module != "tunesmith":
                found.append(f"{where}: import of tunesmith itself from inside the package")
                continue
            theirs = unit(target)
            if module == "tunesmith" or theirs == own:
                continue
            if theirs not in LAYERS or own not in LAYERS:
                found.append(f"{where}: unit {theirs or own!r} has no layer in this test")
            elif LAYERS[theirs] >= LAYERS[own]:
                found.append(f"{where}: {own} (layer {LAYERS[own]}) may not import {theirs}")
            private = private_step(target, names)
            if private is not None:
                found.append(f"{where}: private name {private!r} of another package")
    return found


def edges(module: str, sources) -> set[str]:
    """Modules an import really loads: ``from pkg import submodule`` names the submodule.

    A module's own enclosing packages are left out: Python runs a package's ``__init__``
    before any of its modules, so re-exports there are not cycles with them.
    """
    out = set()
    for target, names, _ in imports_of(module, sources, runtime_only=True):
        subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in sources]
        out.update(subs)
        if target in sources and len(subs) < max(len(names), 1):
            out.add(target)
    return {t for t in out if t != module and not module.startswith(t + ".")}


def cycles(sources=SOURCES) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph = {m: sorted(edges(m, sources)) for m in sources}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return groups


def test_every_unit_has_a_layer():
    units = {unit(m) for m in SOURCES} - {""}
    assert units <= set(LAYERS), f"give these a layer: {sorted(units - set(LAYERS))}"


def test_imports_run_one_way():
    assert violations() == []


def test_no_import_cycles():
    assert cycles() == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from tunesmith.study import Study\n", "storage (layer 3) may not import study"),
        ("def f():\n    import tunesmith\n", "import of tunesmith itself"),
        ("from tunesmith.optim._validation import Interval\n", "private name '_validation'"),
        ("from tunesmith.trial import _same_kind\n", "private name '_same_kind'"),
    ],
)
def test_the_walker_sees_a_bad_import(source, expected):
    """A bad import planted in a core module is reported, even inside a function."""
    planted = {**SOURCES, "tunesmith.storage.planted": (source, False)}
    assert any(expected in v for v in violations(planted))


def test_the_walker_sees_a_cycle():
    planted = {
        **SOURCES,
        "tunesmith.compare.a": ("def f():\n    from tunesmith.compare import b\n", False),
        "tunesmith.compare.b": ("from tunesmith.compare.a import f\n", False),
    }
    assert ["tunesmith.compare.a", "tunesmith.compare.b"] in cycles(planted)


MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
LONG_REASON = "Long because"  # a function over the limit says why in its docstring


def docstring_lines(tree: ast.AST) -> set[int]:
    """Line numbers of every docstring (module, class, function): documentation is not size."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def oversized(sources=SOURCES) -> list[str]:
    """Modules over MAX_MODULE_LINES; functions over MAX_FUNCTION_LINES without a reason
    (docstring lines do not count: a documented function is not a longer one)."""
    found = []
    for module, (text, _) in sorted(sources.items()):
        tree = ast.parse(text)
        docs = docstring_lines(tree)
        lines = text.count("\n") - len(docs)
        if lines > MAX_MODULE_LINES:
            found.append(f"{module}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = range(node.lineno, node.end_lineno + 1)
                length = len(span) - len(docs.intersection(span))
                reason = LONG_REASON in (ast.get_docstring(node) or "")
                if length > MAX_FUNCTION_LINES and not reason:
                    found.append(f"{module}.{node.name}: {length} lines")
    return found


def test_modules_and_functions_stay_small():
    assert oversized() == []


def test_the_size_rule_sees_a_long_function():
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    planted = {"tunesmith.space": (f"def f():\n{body}", False)}
    assert oversized(planted) == [f"tunesmith.space.f: {MAX_FUNCTION_LINES + 1} lines"]
    reasoned = {"tunesmith.space": (f'def f():\n    """{LONG_REASON} of x."""\n{body}', False)}
    assert oversized(reasoned) == []
    documented = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1))
    doc = '    """Summary.\n\n' + "    Args:\n" * 80 + '    """\n'
    assert oversized({"tunesmith.space": (f"def f():\n{doc}{documented}", False)}) == []
    module = '"""Module.\n' + "text\n" * 400 + '"""\n' + "x = 1\n" * MAX_MODULE_LINES
    assert oversized({"tunesmith.space": (module, False)}) == []
    assert oversized({"tunesmith.space": (module + "y = 2\n", False)}) == [
        f"tunesmith.space: {MAX_MODULE_LINES + 1} lines"
    ]
