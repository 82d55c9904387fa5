"""What people are told about swap and cover requests and time off: moments in the reader's
own zone, a request described for its reader, and one message per request, event and person
(``notify`` is idempotent by its dedup key). Used by the services and the beat's reminders."""

from datetime import datetime

from django.utils import timezone

from oncall.swaps.duty import person
from oncall.swaps.models import SwapRequest
from portal.notifications.models import Kind
from portal.notifications.services import notify


def fmt(moment: datetime, user) -> str:
    """A moment in ``user``'s zone as the portal shows it ("Wed 9 Dec 16:00"), with the zone's
    name since messages leave the portal: "Wed 9 Dec 16:00 GMT"."""
    profile = getattr(user, "profile", None)
    zone = profile.zone if profile is not None else timezone.get_default_timezone()
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M %Z}"


def span_text(start: datetime, end: datetime, user) -> str:
    return f"{fmt(start, user)} – {fmt(end, user)}"


def request_text(request: SwapRequest, user) -> str:
    """ "Primary, Mon 3 Jun 09:00 BST – Tue 4 Jun 09:00 BST" (plus the exchange of a swap)."""
    text = f"{request.schedule.name}, {span_text(request.start, request.end, user)}"
    if request.kind == SwapRequest.Kind.SWAP:
        text += (
            f", in exchange for {person(request.target)}'s shift "
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
        dedup_key=f"swap:{request.pk}:{what}:{user.pk}",
        subject=subject,
        body=body + reason,
        url=request.get_absolute_url(),
    )
