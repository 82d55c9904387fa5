"""The swaps demo seeder: idempotent, and demo has a request to answer."""

import io
import random
from datetime import UTC, datetime, timedelta

import pytest

from oncall import demo as rota_demo
from oncall.swaps import demo
from oncall.swaps.models import SwapOverride, SwapRequest, TimeOff
from portal import demo as portal_demo

pytestmark = pytest.mark.django_db


def counts():
    return tuple(m.objects.count() for m in (SwapRequest, SwapOverride, TimeOff))


def test_small_seed_is_idempotent_and_gives_demo_something_to_answer():
    portal_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    rota_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    first = counts()
    assert first == (3, 1, 1)
    assert SwapRequest.objects.filter(target__username="demo", status="pending").exists()
    assert SwapRequest.objects.filter(target__isnull=True, status="pending").exists()
    assert SwapRequest.objects.get(status="accepted").links.get().covers_for.username == "bob"
    demo.seed(scale="small", rng=random.Random(2), stdout=io.StringIO())
    assert counts() == first


def test_the_seed_says_what_it_added_in_plain_words():
    portal_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    rota_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    said = []
    for _ in range(2):
        out = io.StringIO()
        demo.seed(scale="small", rng=random.Random(1), stdout=out)
        said.append(out.getvalue().strip())
    assert said == [
        "swaps: 3 new requests and 1 new time-off entry (3 requests and 1 time-off entry in all)",
        "swaps: 0 new requests and 0 new time-off entries (3 requests and 1 time-off entry in all)",
    ]


# The demo rotas turn every 4 (primary) and 3 (secondary) weeks: 12 weeks hold every pairing
# of their turns. Every fifth day of them, at a different hour each time (so weekdays and times
# of day vary), plus the instants on which the seeder once failed (DST, leap day, year end, a
# Saturday).
START = datetime(2027, 1, 4, tzinfo=UTC)
INSTANTS = [START + timedelta(days=d, hours=(d * 5) % 24, minutes=10) for d in range(0, 84, 5)]
INSTANTS += [
    datetime(2027, 3, 14, 7, 30, tzinfo=UTC) + timedelta(days=52),
    datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # EU spring forward
    datetime(2027, 11, 7, 6, 30, tzinfo=UTC),  # US fall back
    datetime(2028, 2, 29, 23, 50, tzinfo=UTC) + timedelta(days=32),
    datetime(2028, 2, 29, 23, 50, tzinfo=UTC) + timedelta(days=36),
    datetime(2027, 12, 31, 23, 40, tzinfo=UTC) + timedelta(days=8),
    datetime(2027, 1, 9, 12, 0, tzinfo=UTC) + timedelta(days=28),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda i: i.strftime("%Y-%m-%dT%H:%M"))
def test_demo_has_every_flow_whatever_the_date(clock, instant):
    """On no day of the year may the seeder find nothing the rules allow: demo always has a
    request addressed to them, the team an open cover request, alice time off and the
    secondary rota a manager's assignment (it once failed when demo would have gone past the
    team's maximum days in a row, and when bob's only secondary week in sight was alice's
    primary week)."""
    clock.freeze(instant)
    portal_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    rota_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    assert counts() == (3, 1, 1)
    pending = SwapRequest.objects.filter(status="pending")
    assert pending.filter(target__username="demo", kind="cover").exists()
    assert pending.filter(target__isnull=True).exists()
    assert TimeOff.objects.filter(user__username="alice").exists()
    assert SwapRequest.objects.filter(reason="Moving house", status="accepted").exists()
    for request in SwapRequest.objects.all():
        assert request.start > instant


def test_seed_without_rotas_does_nothing():
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    assert counts() == (0, 0, 0)
