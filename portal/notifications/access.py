"""Who may see and change a contact method: its owner only."""

from django.shortcuts import get_object_or_404

from portal.notifications.models import ContactMethod


def contact_method_for_owner_or_404(*, user, pk: int) -> ContactMethod:
    """The user's own method; someone else's is as unknown as a missing one (404)."""
    return get_object_or_404(ContactMethod, pk=pk, user=user)
