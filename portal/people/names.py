"""How a person is named wherever the portal shows or sends a name: the one display-name
helper (the profile's display name, else the full name, else the username)."""


def person_name(user, *, nobody: str = "Runwell") -> str:
    """The name to show for ``user``; ``nobody`` when there is no user (an action the portal
    took itself, or a field left empty: pass "—")."""
    if user is None:
        return nobody
    profile = getattr(user, "profile", None)  # select_related("profile") saves the query
    return profile.name if profile is not None else user.get_username()
