"""The swaps demo seeder: idempotent, and demo has a request to answer."""

import io
import random
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

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


@pytest.mark.parametrize("days_ahead", range(0, 56, 4))
def test_demo_has_a_request_to_answer_whatever_the_date(days_ahead):
    """The rotas turn over every four weeks: on no day of them may the seeder find nothing
    the rules allow (it once failed on days when demo would have gone past the team's
    maximum days in a row)."""
    then = timezone.now() + timedelta(days=days_ahead)
    with mock.patch("django.utils.timezone.now", return_value=then):
        portal_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
        rota_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
        demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    assert counts() == (3, 1, 1)
    assert SwapRequest.objects.filter(target__username="demo", status="pending").exists()


def test_seed_without_rotas_does_nothing():
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    assert counts() == (0, 0, 0)
