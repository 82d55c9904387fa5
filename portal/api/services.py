"""Writes for personal API tokens."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.api.models import ApiToken

TOKEN_PREFIX = "rwt_"
MAX_TOKENS_PER_USER = 20


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_token() -> str:
    """A new token: a recognisable prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``. Returns the row and the token itself, which is shown once
    and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. what will use it."})
    tokens = ApiToken.objects.select_for_update().filter(user=user)
    if tokens.filter(name=name).exists():
        raise ValidationError({"name": f"You already have a token called {name!r}."})
    if tokens.count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            {"name": f"You have {MAX_TOKENS_PER_USER} tokens: revoke one you no longer use."}
        )
    raw = generate_token()
    token = ApiToken(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token: the next request that sends it gets 401."""
    token.delete()
