"""Reads for personal API tokens."""

from django.db.models import QuerySet

from portal.api.models import ApiToken
from portal.api.services import TOKEN_PREFIX, hash_token


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_token_lookup(*, raw: str) -> ApiToken | None:
    """The live token matching ``raw`` (with its active user), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(key_hash=hash_token(raw), user__is_active=True)
        .first()
    )
