"""What the inbox shows under a message about a swap or cover request: the request, live, with
the viewer's buttons. Loaded before the page renders (the notifications inbox calls
:func:`inbox_messages_prepare` through its ``INBOX_PREPARERS``), so the template tag that shows
it runs no query."""

from oncall.swaps import access
from oncall.swaps.actions import actions_for
from oncall.swaps.lists import take_reasons
from oncall.swaps.messages import request_id_of
from oncall.swaps.one_request import requests_qs
from portal.notifications.models import Kind


def inbox_messages_prepare(*, user, messages) -> None:
    """Set ``swap_request`` (or None) and ``swap_actions`` on each of the inbox ``messages``:
    the request a swap message is about, if the viewer may see it, and what they may do with
    it now. Every request in one query; none when no message is about one."""
    ids = {
        message.pk: request_id_of(message.dedup_key)
        for message in messages
        if message.kind == Kind.SWAP
    }
    requests = requests_qs().in_bulk([i for i in ids.values() if i])
    take_reasons(user=user, requests=list(requests.values()))
    for message in messages:
        swap = requests.get(ids.get(message.pk))
        if swap is not None and not access.can_view_request(user=user, request=swap):
            swap = None
        message.swap_request = swap
        message.swap_actions = actions_for(user=user, request=swap) if swap else None
