"""Concurrent rota edits on a real PostgreSQL: edits of one layer serialise, none is lost and
the layer keeps exactly one open version."""

import threading
from datetime import date, time

import pytest
from django.db import close_old_connections

from oncall import layer_services
from oncall.models import Layer
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_participant_edits_keep_every_change(team):
    people = [factories.MembershipFactory(team=team).user for _ in range(6)]
    schedule = factories.ScheduleFactory(team=team)
    layer = layer_services.layer_create(
        schedule=schedule,
        name="Weekly",
        rotation_start=date(2024, 1, 1),
        handoff_time=time(9),
        participants=people[:2],
    )
    newcomers = people[2:]
    barrier = threading.Barrier(len(newcomers))
    errors = []

    def add(user):
        try:
            barrier.wait(timeout=10)
            layer_services.layer_participant_add(layer=layer, user=user)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=add, args=(u,)) for u in newcomers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    current = Layer.objects.get(lineage=layer.lineage, valid_until__isnull=True)
    assert set(current.participants.values_list("user_id", flat=True)) == {p.pk for p in people}
