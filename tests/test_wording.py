"""portal/wording.py: possessives of names and counted nouns, in Python and in templates."""

import pytest
from django.template import Context, Template

from portal.wording import counted, possessive


@pytest.mark.parametrize(
    ("name", "said"),
    [("Alice", "Alice's"), ("Payments", "Payments'"), ("JAMES", "JAMES'"), ("", "")],
)
def test_possessive(name, said):
    assert possessive(name) == said


def test_the_possessive_filter_is_a_builtin_of_every_template():
    page = Template("All of {{ team|possessive }} schedules; {{ person|possessive }} shift")
    said = page.render(Context({"team": "Payments", "person": "Alice Martin"}))
    assert said == "All of Payments' schedules; Alice Martin's shift"


@pytest.mark.parametrize(
    ("n", "said"), [(0, "0 new requests"), (1, "1 new request"), (4, "4 new requests")]
)
def test_counted(n, said):
    assert counted(n, "new request") == said


def test_counted_with_its_own_plural():
    assert counted(2, "time-off entry", "time-off entries") == "2 time-off entries"


def test_the_possessive_filter_still_escapes_the_name():
    said = Template("{{ name|possessive }}").render(Context({"name": "<b>Bass"}))
    assert said == "&lt;b&gt;Bass'"
