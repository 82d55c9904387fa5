"""The shape of the tests, checked so it stays true (issue 16): ``tests/`` mirrors the code,
browser tests live in ``tests/browser/`` and tests that start processes in
``tests/reliability/``.

- A test directory is an application package (``tests/oncall/swaps/`` for ``oncall/swaps/``;
  ``portal``'s apps sit at the top, ``tests/catalog/`` for ``portal/catalog/``) or one of
  ``BY_KIND``. Every test directory is a package, so two ``test_views.py`` stay two modules.
- Outside ``tests/browser/`` no module imports Playwright or the browser fixtures, marks a test
  ``browser`` or asks for the ``page`` fixture.
- Outside ``tests/reliability/`` no module starts processes (``subprocess``,
  ``multiprocessing``): those tests get the ``reliability`` marker there, which the calendar
  sweep leaves out.

The modules are read with ``ast``, not imported.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PACKAGES = ("portal", "oncall", "incidents")

# Test directories grouped by kind rather than by app, each with what it holds.
BY_KIND = {
    "browser": "Playwright tests driving headless chromium",
    "reliability": "process-level tests: real servers, workers and fresh processes",
    "factories": "factory-boy factories, not tests",
}
PROCESS_MODULES = {"subprocess", "multiprocessing"}


def directories_holding_python(tests: Path = TESTS) -> list[Path]:
    """Every directory under ``tests`` that holds Python files, relative to ``tests``."""
    return sorted(
        {
            path.parent.relative_to(tests)
            for path in tests.rglob("*.py")
            if "__pycache__" not in path.parts and path.parent != tests
        }
    )


def misplaced_directories(tests: Path = TESTS, root: Path = ROOT) -> list[str]:
    return [
        f"tests/{directory.as_posix()}"
        for directory in directories_holding_python(tests)
        if directory.parts[0] not in BY_KIND and not _is_app_package(directory, root)
    ]


def _is_app_package(directory: Path, root: Path = ROOT) -> bool:
    top = directory.parts[0]
    if top in PACKAGES:
        return (root / directory / "__init__.py").is_file()
    return (root / "portal" / directory / "__init__.py").is_file()


def directories_without_init(tests: Path = TESTS) -> list[str]:
    return [
        f"tests/{directory.as_posix()}"
        for directory in directories_holding_python(tests)
        if not (tests / directory / "__init__.py").is_file()
    ]


def _modules(tests: Path = TESTS, *, outside: str):
    for path in sorted(tests.rglob("*.py")):
        relative = path.relative_to(tests)
        if "__pycache__" in relative.parts or relative.parts[0] == outside:
            continue
        yield f"tests/{relative.as_posix()}", ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _is_test(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef) and node.name.startswith("test")


def _parametrized(test: ast.FunctionDef) -> set[str]:
    """Argument names a test's ``parametrize`` decorators fill (not fixtures)."""
    names = set()
    for decorator in test.decorator_list:
        if isinstance(decorator, ast.Call) and _dotted(decorator.func).endswith("parametrize"):
            first = decorator.args[0] if decorator.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names |= {name.strip() for name in first.value.split(",")}
            elif isinstance(first, ast.List | ast.Tuple):
                names |= {e.value for e in first.elts if isinstance(e, ast.Constant)}
    return names


def _fixtures_asked_for(test: ast.FunctionDef) -> set[str]:
    return {a.arg for a in test.args.args + test.args.kwonlyargs} - _parametrized(test)


def browser_uses(tree: ast.AST) -> list[str]:
    """What in a module makes it a browser test, as ``line: what``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _imports(ast.Module(body=[node], type_ignores=[])):
                if name.split(".")[0] == "playwright" or name.startswith("tests.browser"):
                    found.append(f"{node.lineno}: imports {name}")
        elif isinstance(node, ast.Attribute) and _dotted(node).endswith("mark.browser"):
            found.append(f"{node.lineno}: marks tests browser")
        elif _is_test(node) and "page" in _fixtures_asked_for(node):
            found.append(f"{node.lineno}: {node.name} asks for the page fixture")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_test_directories_mirror_the_application_packages():
    assert misplaced_directories() == [], (
        "test directories that are no application package: move them to the package's "
        "mirror (tests/oncall/swaps/ for oncall/swaps/, tests/catalog/ for portal/catalog/)"
    )


def test_every_test_directory_is_a_package():
    assert directories_without_init() == []


def test_browser_tests_live_in_tests_browser():
    offenders = {
        name: uses for name, tree in _modules(outside="browser") if (uses := browser_uses(tree))
    }
    assert offenders == {}, "move these to tests/browser/test_<area>.py"


def test_process_level_tests_live_in_tests_reliability():
    offenders = {
        name: starts
        for name, tree in _modules(outside="reliability")
        if (starts := sorted(PROCESS_MODULES & {n.split(".")[0] for n in _imports(tree)}))
    }
    assert offenders == {}, "tests that start processes belong in tests/reliability/"


def test_the_checks_see_what_they_look_for(tmp_path):
    """The checks above find a stray browser test, process test and directory."""
    (tmp_path / "portal" / "people").mkdir(parents=True)
    (tmp_path / "portal" / "people" / "__init__.py").touch()
    (tmp_path / "oncall" / "swaps").mkdir(parents=True)
    (tmp_path / "oncall" / "swaps" / "__init__.py").touch()
    tests = tmp_path / "tests"
    for directory in ("people", "oncall/swaps", "swaps", "browser", "loose"):
        (tests / directory).mkdir(parents=True)
        (tests / directory / "test_x.py").touch()
        if directory != "loose":
            (tests / directory / "__init__.py").touch()
    assert misplaced_directories(tests, tmp_path) == ["tests/loose", "tests/swaps"]
    assert directories_without_init(tests) == ["tests/loose"]

    module = ast.parse(
        "import pytest\nfrom playwright.sync_api import expect\n"
        "pytestmark = pytest.mark.browser\n"
        "def test_a(page, live_server):\n    pass\n"
        "def helper(page):\n    pass\n"
        "@pytest.mark.parametrize('page', ['a', 'b'])\ndef test_b(client, page):\n    pass\n"
    )
    assert browser_uses(module) == [
        "2: imports playwright.sync_api",
        "3: marks tests browser",
        "4: test_a asks for the page fixture",
    ]
    assert browser_uses(ast.parse("from tests.browser.conftest import page\n")) == [
        "1: imports tests.browser.conftest"
    ]
    assert _imports(ast.parse("import subprocess\nfrom multiprocessing import Process\n")) == [
        "subprocess",
        "multiprocessing",
    ]
