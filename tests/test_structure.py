"""The shape of the code, checked so it stays true (issue 16): no import circles between the
application's modules, and no module over ``MAX_LINES`` lines.

The import graph is read from the source with ``ast``, not by importing: every ``import`` and
``from … import`` counts, at module level and inside functions alike (an import moved into a
function to dodge a circle still is one). Tests, migrations and benchmarks are left out.

Two allow-lists record what is not yet so. They may only shrink: an entry that no longer
applies (the circle is gone, the module got smaller) fails the test too, so remove it.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "oncall", "incidents")
LEFT_OUT = {"migrations", "tests", "bench"}
MAX_LINES = 500

# Import circles still present, each as the set of modules it runs through. None today.
# Add nothing here: break the circle (see ARCHITECTURE.md "Growing it" and the README's map).
ALLOWED_CYCLES: set[frozenset[str]] = set()

# Modules allowed past MAX_LINES. The schedule engine is pure, one concept, and long by
# nature; it has no ceiling.
UNLIMITED = {"oncall/engine.py"}
# Modules allowed past MAX_LINES for a while, each with a ceiling it must not pass. Empty
# since issue 16 split the last ones; keep it so. The test fails while a module that fits
# still has an entry.
OVERSIZED: dict[str, int] = {}


def application_modules(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every application module."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if LEFT_OUT & set(relative.parts[:-1]):
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement may load: ``import a.b`` → a.b; ``from a import
    b`` → a and a.b (b may be a module); relative imports resolved against ``module``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, dict[str, int]]:
    """module → {application module it imports: line of the first such import}."""
    modules = application_modules(root, packages)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(name, path, node):
                while target and target not in modules:  # a name inside a module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    line = min(graph[name].get(target, node.lineno), node.lineno)
                    graph[name][target] = line
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(component: frozenset[str], graph: dict[str, dict[str, int]]) -> str:
    """Every import inside the circle, with its line: what to untangle."""
    lines = [f"import circle through {', '.join(sorted(component))}:"]
    for source in sorted(component):
        for target, line in sorted(graph[source].items()):
            if target in component:
                lines.append(f"    {source} (line {line}) imports {target}")
    return "\n".join(lines)


def test_the_checker_counts_imports_inside_functions_and_relative_ones(tmp_path):
    package = tmp_path / "pkg"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from . import a\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "migrations" / "0001.py").write_text("from pkg import c\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg": 2, "pkg.b": 2}
    assert graph["pkg.c"] == {"pkg.a": 1}
    assert "pkg.migrations.0001" not in graph
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b"})]
    assert "pkg.a (line 2) imports pkg.b" in describe(cycles(graph)[0], graph)


def test_no_import_circles():
    graph = import_graph()
    assert len(graph) > 50, "the application modules were not found"
    found = set(cycles(graph))
    new = found - ALLOWED_CYCLES
    gone = ALLOWED_CYCLES - found
    message = "\n\n".join(describe(c, graph) for c in sorted(new, key=sorted))
    assert not new, f"Import circles (break them; do not allow-list them):\n{message}"
    assert not gone, f"These circles are gone: remove them from ALLOWED_CYCLES: {gone}"


def test_modules_stay_small():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in application_modules().values()
    }
    too_big = {
        name: size
        for name, size in sizes.items()
        if name not in UNLIMITED and size > OVERSIZED.get(name, MAX_LINES)
    }
    assert not too_big, (
        f"Modules over {MAX_LINES} lines (or past their ceiling in OVERSIZED): {too_big}. "
        "Split them by concept."
    )
    stale = {name: sizes.get(name) for name in OVERSIZED if sizes.get(name, 0) <= MAX_LINES}
    assert not stale, (
        f"These modules are {MAX_LINES} lines or less now (or gone): remove them from "
        f"OVERSIZED: {stale}"
    )
