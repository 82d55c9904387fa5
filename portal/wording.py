"""Small English helpers for text built from names and numbers.

- :func:`possessive`: "Alice's", but "Payments'" (a name ending in s takes only the apostrophe).
  Templates use it as the builtin filter ``{{ team.name|possessive }}``
  (portal/people/templatetags/people.py); Python code that builds "…'s" from a name calls it.
- :func:`counted`: "1 request", "3 requests", "0 requests" instead of "request(s)".
"""


def possessive(name: str) -> str:
    name = str(name)
    if not name:
        return name
    return f"{name}'" if name[-1] in "sS" else f"{name}'s"


def counted(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
