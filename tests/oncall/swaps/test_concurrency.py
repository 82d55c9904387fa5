"""Real concurrent transactions against PostgreSQL: two colleagues accept one open request at
the same moment, and two overlapping requests are made at the same moment."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from oncall.models import Override
from oncall.swaps import services
from oncall.swaps.models import SwapOverride, SwapRequest
from tests.oncall.swaps.conftest import holder, next_shift

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*jobs):
    """Run each job in its own thread and database connection. Every job first opens its
    transaction and reads, then all wait at a barrier, then all write: without locking, each
    would act on what it read."""
    barrier = threading.Barrier(len(jobs))
    results: dict[int, str] = {}
    crashes: list[BaseException] = []

    def run(i, job):
        try:
            with transaction.atomic():
                job(barrier)
            results[i] = "ok"
        except ValidationError as exc:
            results[i] = " ".join(exc.messages)
        except BaseException as exc:  # reported below
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a transaction hung"
    assert crashes == []
    return [results[i] for i in range(len(jobs))]


def test_two_colleagues_accept_one_open_request_at_once_exactly_one_wins(
    schedule, alice, bob, carol
):
    shift = next_shift(schedule, alice)
    request = services.swap_request_create(
        schedule=schedule, requester=alice, by=alice, shift_start=shift.start, shift_end=shift.end
    )

    def accept_as(user):
        def job(barrier):
            assert SwapRequest.objects.get(pk=request.pk).status == "pending"
            barrier.wait(timeout=10)
            services.swap_request_accept(request=request, by=user)

        return job

    outcome = race(accept_as(bob), accept_as(carol))
    assert outcome.count("ok") == 1
    loser = next(o for o in outcome if o != "ok")
    request.refresh_from_db()
    assert request.status == SwapRequest.Status.ACCEPTED
    winner = request.taker.username
    assert loser == f"{winner} already took this request."
    assert SwapOverride.objects.count() == 1 and Override.objects.count() == 1
    assert Override.objects.get().user == request.taker
    assert holder(schedule, shift.start + (shift.end - shift.start) / 2) == winner


def test_two_overlapping_requests_made_at_once_only_one_is_kept(schedule, alice, bob, manager):
    shift = next_shift(schedule, alice)

    def ask(by, target):
        def job(barrier):
            assert not SwapRequest.objects.exists()
            barrier.wait(timeout=10)
            services.swap_request_create(
                schedule=schedule,
                requester=alice,
                by=by,
                shift_start=shift.start,
                shift_end=shift.end,
                target=target,
            )

        return job

    outcome = race(ask(alice, bob), ask(manager, None))
    assert outcome.count("ok") == 1
    assert any(o.startswith("There is already an open request for this time") for o in outcome)
    assert SwapRequest.objects.count() == 1
