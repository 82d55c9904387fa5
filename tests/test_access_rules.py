"""Who may see or change what is answered in one place per app (issue 16): its ``access.py``.

Checked from the source with ``ast`` so it stays true:
- outside access modules nothing reads ``.is_staff`` or calls ``is_member`` / ``is_manager``
  (the raw roles): pages, the API, panels, template tags and services ask an access module
  (``can_see_team``, ``can_manage_team``, ``schedule_for_manager_or_404``, …);
- ``…_or_404`` / ``…_or_403`` helpers are defined only in access modules, and no helper name
  is defined twice (a page copy and an API copy of one rule is how fixes get missed);
- templates do not test ``user.is_staff``: the view passes what the access module answered.

``NOT_YET`` records modules that do not follow the rule yet: empty since issue 16, keep it so.
An entry that follows the rule fails the test too.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

from tests.test_structure import ROOT, application_modules

RAW_ROLES = {"is_member", "is_manager"}
# …_or_404 / …_or_403, and the page/API copies this replaced (_integration_for_manager,
# a viewset's _managed / _manage).
HELPER = re.compile(r"(_or_40[34]|_for_manager|^_managed(_team)?|^_manage)$")

NOT_YET: set[str] = set()


def _is_access(path: Path) -> bool:
    return path.name == "access.py"


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def inline_checks(path: Path) -> list[str]:
    """Where a module reads the staff flag or a raw role itself: "line: what"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "is_staff":
            found.append(f"{node.lineno}: .is_staff")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in RAW_ROLES:
                found.append(f"{node.lineno}: {name}()")
    return found


def access_helpers(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and HELPER.search(node.name)
    ]


def test_the_checker_finds_inline_checks_and_helpers(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "def page(request, team):\n"
        "    if not (request.user.is_staff or is_member(user=request.user, team=team)):\n"
        "        raise PermissionDenied\n"
        "def thing_or_404(pk):\n"
        "    return access.is_manager(user=None, team=None)\n"
    )
    assert sorted(inline_checks(module)) == ["2: .is_staff", "2: is_member()", "5: is_manager()"]
    assert access_helpers(module) == [("thing_or_404", 4)]


def test_role_checks_live_in_access_modules():
    offenders = {}
    for path in application_modules().values():
        if _is_access(path):
            continue
        found = inline_checks(path) + [
            f"{line}: defines {name}" for name, line in access_helpers(path)
        ]
        if found:
            offenders[_relative(path)] = found
    new = {name: found for name, found in offenders.items() if name not in NOT_YET}
    assert not new, (
        "Role checks and …_or_404/…_or_403 helpers belong in the app's access.py; these "
        f"modules have their own: {new}"
    )
    mended = NOT_YET - set(offenders)
    assert not mended, f"These follow the rule now: remove them from NOT_YET: {mended}"


def test_no_access_helper_is_defined_twice():
    where = defaultdict(list)
    for path in application_modules().values():
        if _is_access(path):
            for name, _line in access_helpers(path):
                where[name].append(_relative(path))
    twice = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not twice, f"Access helpers defined in more than one access module: {twice}"


TEMPLATES_NOT_YET: set[str] = set()


def test_templates_do_not_test_the_staff_flag():
    found = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "is_staff" in path.read_text()
    }
    new = found - TEMPLATES_NOT_YET
    assert not new, f"Templates that check user.is_staff (pass the access answer): {new}"
    mended = TEMPLATES_NOT_YET - found
    assert not mended, f"These follow the rule now: remove them from TEMPLATES_NOT_YET: {mended}"
