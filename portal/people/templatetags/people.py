"""The ``person`` filter, a builtin of every template (settings ``TEMPLATES`` ``builtins``):
``{{ user|person }}`` names someone as :func:`portal.people.names.person_name` does, and
``{{ user|person:"nobody" }}`` says what to show when there is no one (default "—")."""

from django import template

from portal.people.names import person_name

register = template.Library()


@register.filter
def person(user, nobody: str = "—") -> str:
    return person_name(user, nobody=nobody)
