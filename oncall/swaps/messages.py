"""What people are told about swap and cover requests and time off: moments in the reader's
own zone, a request described for its reader, and one message per request, event and person
(``notify`` is idempotent by its dedup key). Used by the services and the beat's reminders.

The messages' dedup keys are made here, and only here are they read back: a message about a
request carries its id ("swap:<id>:…", "swap-remind:<id>:…"), see :func:`request_id_of`."""

import re
from datetime import datetime

from oncall.swaps.models import SwapRequest, TimeOff
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.names import person_name
from portal.timefmt import in_message
from portal.wording import possessive

# The dedup key of a message about a request starts with the request's id.
_REQUEST_KEY = re.compile(r"^swap(?:-remind)?:(\d+):")


def request_key(request_id: int, what: str, user_id: int) -> str:
    """One message per request, event and person."""
    return f"swap:{request_id}:{what}:{user_id}"


def remind_key(request_id: int, label: str, user_id: int | None = None) -> str:
    """One reminder per request and threshold (and manager)."""
    key = f"swap-remind:{request_id}:{label}"
    return key if user_id is None else f"{key}:{user_id}"


def clash_key(row: TimeOff, schedule_id: int, clash_start: datetime, user_id: int) -> str:
    """One message per time off, clashing stretch and person."""
    return f"timeoff-clash:{row.pk}:{schedule_id}:{clash_start.isoformat()}:{user_id}"


def request_id_of(dedup_key: str | None) -> int | None:
    """The id of the request a message is about, from its dedup key (None: not about one)."""
    match = _REQUEST_KEY.match(dedup_key or "")
    return int(match.group(1)) if match else None


def span_text(start: datetime, end: datetime, user) -> str:
    return f"{in_message(start, user)} – {in_message(end, user)}"


def request_text(request: SwapRequest, user) -> str:
    """ "Primary, Mon 3 Jun 09:00 BST – Tue 4 Jun 09:00 BST" (plus the exchange of a swap)."""
    text = f"{request.schedule.name}, {span_text(request.start, request.end, user)}"
    if request.kind == SwapRequest.Kind.SWAP:
        text += (
            f", in exchange for {possessive(person_name(request.target))} shift "
            f"{span_text(request.swap_start, request.swap_end, user)}"
        )
    return text


def tell(request: SwapRequest, user, what: str, subject: str, body: str) -> None:
    """One message per request, event and person (idempotent by its dedup key)."""
    if user is None or not user.is_active:
        return
    reason = f"\nReason: {request.reason}" if request.reason else ""
    notify(
        user=user,
        kind=Kind.SWAP,
        dedup_key=request_key(request.pk, what, user.pk),
        subject=subject,
        body=body + reason,
        url=request.get_absolute_url(),
    )
