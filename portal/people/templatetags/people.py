"""The ``person`` filter, a builtin of every template (settings ``TEMPLATES`` ``builtins``):
``{{ user|person }}`` names someone as :func:`portal.people.names.person_name` does, and
``{{ user|person:"nobody" }}`` says what to show when there is no one (default "—").

The ``possessive`` filter, builtin too: ``{{ team.name|possessive }}`` gives "Payments'" and
``{{ user|person|possessive }}`` "Alice's" (:func:`portal.wording.possessive`)."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from portal.people.names import person_name
from portal.wording import possessive as _possessive

register = template.Library()


@register.filter
def person(user, nobody: str = "—") -> str:
    return person_name(user, nobody=nobody)


@register.filter(needs_autoescape=True)
def possessive(name, autoescape: bool = True) -> str:
    """The name escaped as usual, its apostrophe as written (so pages read "Payments'")."""
    said = _possessive(conditional_escape(name) if autoescape else name)
    return mark_safe(said)  # noqa: S308 (the name is escaped above; only ' or 's is added)
