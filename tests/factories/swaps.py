"""Factories for swaps: requests (rows only; the state machine is the service's) and time off."""

from datetime import UTC, datetime, timedelta

import factory

from oncall.swaps.models import SwapEvent, SwapRequest, TimeOff
from tests.factories.oncall import ScheduleFactory
from tests.factories.people import UserFactory

__all__ = ["SwapRequestFactory", "SwapEventFactory", "TimeOffFactory"]

_START = datetime(2030, 1, 7, 9, tzinfo=UTC)


class SwapRequestFactory(factory.django.DjangoModelFactory):
    """A pending cover request for a whole one-day shift (no rota behind it: use the services
    for anything that must hold against the final schedule)."""

    class Meta:
        model = SwapRequest

    schedule = factory.SubFactory(ScheduleFactory)
    requester = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("requester")
    shift_start = _START
    shift_end = factory.LazyAttribute(lambda o: o.shift_start + timedelta(days=1))
    start = factory.SelfAttribute("shift_start")
    end = factory.SelfAttribute("shift_end")
    expires_at = factory.SelfAttribute("start")


class SwapEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SwapEvent

    request = factory.SubFactory(SwapRequestFactory)
    actor = factory.SelfAttribute("request.requester")
    action = SwapEvent.Action.CREATED


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    user = factory.SubFactory(UserFactory)
    start = _START
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=3))
    note = "Holiday"
