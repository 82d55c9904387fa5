"""One way to name a person: ``person_name`` in code, the builtin ``|person`` filter in
templates (issue 16)."""

import re
from pathlib import Path

import pytest
from django.template import engines

from portal.people.names import person_name
from tests import factories

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _render(text: str, **context) -> str:
    return engines["django"].from_string(text).render(context)


def test_person_name_prefers_the_display_name_then_the_full_name_then_the_username():
    named = factories.UserFactory(username="ana", first_name="Ana", last_name="Lima")
    assert person_name(named) == "Ana Lima"
    named.profile.display_name = "Ana L."
    named.profile.save()
    assert person_name(named) == "Ana L."
    bare = factories.UserFactory(username="bo")
    bare.profile.delete()
    bare.refresh_from_db()
    assert person_name(bare) == "bo"
    assert person_name(None) == "Runwell"
    assert person_name(None, nobody="—") == "—"


def test_the_person_filter_is_a_builtin_of_every_template():
    user = factories.UserFactory(username="cy", first_name="Cy", last_name="Ng")
    assert _render("{{ u|person }}", u=user) == "Cy Ng"
    assert _render("{{ u|person }}", u=None) == "—"
    assert _render('{{ u|person:"nobody" }}', u=None) == "nobody"


def test_templates_name_people_only_through_the_filter():
    """``x.profile.name`` in a template shows nothing for a user without a profile and
    duplicates the rule; the profile page's own heading is the one exception."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {match}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.findall(r"\b\w+(?:\.\w+)*\.profile\.name\b", path.read_text())
    ]
    assert not found, f"Name people with {{{{ user|person }}}}: {found}"
