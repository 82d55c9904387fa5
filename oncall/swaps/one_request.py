"""One swap or cover request as the pages, the API and the services read it: with its
schedule, team and people (and their profiles), its events and the overrides that realise it."""

from django.db.models import QuerySet
from django.http import Http404

from oncall.swaps.models import SwapEvent, SwapOverride, SwapRequest

_REQUEST_RELATED = (
    "schedule__team",
    "requester__profile",
    "target__profile",
    "taker__profile",
    "created_by__profile",
    "revert_asked_by__profile",
)


def requests_qs() -> QuerySet[SwapRequest]:
    return SwapRequest.objects.select_related(*_REQUEST_RELATED)


def request_detail(*, pk: int) -> SwapRequest:
    try:
        return requests_qs().get(pk=pk)
    except SwapRequest.DoesNotExist as exc:
        raise Http404("No such swap or cover request.") from exc


def request_events(*, request: SwapRequest) -> QuerySet[SwapEvent]:
    return request.events.select_related("actor__profile").order_by("at", "pk")


def request_overrides(*, request: SwapRequest) -> QuerySet[SwapOverride]:
    return request.links.select_related("override__user__profile", "covers_for__profile")
