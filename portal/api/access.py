"""Who may see and revoke a personal API token: its owner only."""

from django.shortcuts import get_object_or_404

from portal.api.models import ApiToken


def api_token_for_owner_or_404(*, user, pk: int) -> ApiToken:
    """The user's own token; someone else's token is as unknown as a missing one (404)."""
    return get_object_or_404(ApiToken, pk=pk, user=user)
