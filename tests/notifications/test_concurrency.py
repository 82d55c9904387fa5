"""Real concurrent transactions against PostgreSQL (row locks, unique index waits)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from portal.notifications import methods, services
from portal.notifications.models import ContactMethod, Kind, Message, Notification
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_in_threads(target, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return results


def test_same_dedup_key_from_two_threads_yields_one_row():
    user = factories.UserFactory()
    factories.ContactMethodFactory(user=user)
    factories.ContactMethodFactory(user=user, webhook=True)
    start = threading.Event()

    def send():
        with transaction.atomic():
            message = services.notify(
                user=user, kind=Kind.PAGE, dedup_key="page:9:0:0", subject="s", body="b"
            )
            start.wait(timeout=0.2)  # hold the transaction open so the inserts overlap
            return message.pk

    results = _run_in_threads(send, n=4)
    assert len(set(results)) == 1
    assert Message.objects.count() == 1
    assert Notification.objects.count() == 2


def test_concurrent_delivery_runs_send_once(webhook_server):
    user = factories.UserFactory()
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    message = services.notify(user=user, kind=Kind.NAG, dedup_key="nag:1", subject="s", body="b")
    (row,) = message.deliveries.all()
    webhook_server.hold = threading.Event()

    def deliver():
        return services.notification_deliver(notification_id=row.pk)

    swept = []

    def release_when_arrived():
        webhook_server.arrived.wait(timeout=10)
        try:
            # The first delivery is mid-send: the sweeper must leave it alone.
            swept.append(services.notifications_sweep())
        finally:
            webhook_server.hold.set()
            connection.close()

    releaser = threading.Thread(target=release_when_arrived)
    releaser.start()
    outcomes = _run_in_threads(deliver, n=3)
    releaser.join(timeout=10)
    assert swept == [0]
    assert sorted(outcomes) == ["sent", "skipped", "skipped"]
    assert len(webhook_server.requests) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1


def test_adds_at_once_cannot_pass_the_cap_together(settings):
    """The person's row is locked while counting: four adds racing for the last free place
    leave exactly one in."""
    settings.CONTACT_METHODS_MAX = 3
    user = factories.UserFactory()
    factories.ContactMethodFactory.create_batch(2, user=user)
    addresses = iter(f"race{n}@example.com" for n in range(4))
    lock = threading.Lock()

    def add():
        with lock:
            address = next(addresses)
        try:
            methods.contact_method_create(user=user, channel="email", address=address)
            return "added"
        except ValidationError:
            return "refused"

    results = _run_in_threads(add, n=4)
    assert sorted(results) == ["added", "refused", "refused", "refused"]
    assert ContactMethod.objects.filter(user=user).count() == 3


def test_tests_at_once_cannot_pass_the_limit_together(settings):
    settings.CONTACT_TESTS_PER_PERSON = 2
    user = factories.UserFactory()
    mine = factories.ContactMethodFactory.create_batch(4, user=user)
    queue = iter(mine)
    lock = threading.Lock()

    def press():
        with lock:
            method = next(queue)
        try:
            methods.contact_method_send_test(method=method)
            return "sent"
        except methods.TestThrottled:
            return "throttled"

    results = _run_in_threads(press, n=4)
    assert sorted(results) == ["sent", "sent", "throttled", "throttled"]
    assert Message.objects.filter(user=user, dedup_key__startswith="test:").count() == 2
