"""Delivery against real loopback servers: SMTP (aiosmtpd) and an HTTP chat webhook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.notifications import channels, methods, services
from portal.notifications.models import Kind, Message, Notification
from portal.notifications.tasks import deliver_notification, sweep_notifications
from tests import factories
from tests.notifications.conftest import webhook_json

pytestmark = pytest.mark.django_db


def _notify(user, key="k1", kind=Kind.PAGE, subject="[SEV1] Payments down", url="/incidents/7/"):
    return services.notify(
        user=user, kind=kind, dedup_key=key, subject=subject, body="Card auth failing.", url=url
    )


def _only_delivery(message) -> Notification:
    (row,) = message.deliveries.all()
    return row


def _make_due(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


# ------------------------------------------------------------------------------------ email
def test_email_delivered_over_smtp(smtp_server, user, settings):
    settings.DEFAULT_FROM_EMAIL = "Runwell <runwell@example.org>"
    factories.ContactMethodFactory(user=user, address="alice@example.com")
    row = _only_delivery(_notify(user))
    assert deliver_notification.apply(args=[row.pk]).get() == "sent"

    (received,) = smtp_server.messages
    assert received["to"] == ["alice@example.com"]
    assert received["from"] == "runwell@example.org"
    email = received["message"]
    assert email["Subject"] == "[SEV1] Payments down"
    assert email["Auto-Submitted"] == "auto-generated"
    text = email.get_content()
    assert "Card auth failing." in text
    assert "http://runwell.test/incidents/7/" in text
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.method.last_success_at is not None


def test_refused_recipient_is_permanent(smtp_server, user, manager, team):
    factories.MembershipFactory(user=user, team=team)
    method = factories.ContactMethodFactory(user=user, address="gone@example.com")
    smtp_server.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    row = _only_delivery(_notify(user))
    assert services.notification_deliver(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    method.refresh_from_db()
    assert row.status == "failed" and row.permanent_failure and "550" in row.last_error
    assert method.broken_at is not None and "550" in method.last_error
    assert smtp_server.messages == []
    # The person and their manager hear about it in-app.
    assert Message.objects.filter(user=user, kind=Kind.REPORT).count() == 1
    assert Message.objects.filter(user=manager, kind=Kind.REPORT).count() == 1


def test_greylisted_recipient_is_retried(smtp_server, user):
    factories.ContactMethodFactory(user=user, address="grey@example.com")
    smtp_server.rcpt_replies["grey@example.com"] = "451 4.7.1 Try again later"
    row = _only_delivery(_notify(user))
    assert services.notification_deliver(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.status == "pending" and row.next_attempt_at > timezone.now()
    del smtp_server.rcpt_replies["grey@example.com"]
    _make_due(row)
    assert services.notification_deliver(notification_id=row.pk) == "sent"
    assert len(smtp_server.messages) == 1


def test_mail_server_down_is_temporary(settings, user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    factories.ContactMethodFactory(user=user)
    row = _only_delivery(_notify(user))
    assert services.notification_deliver(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.status == "pending" and row.last_error.startswith("Mail server unavailable")
    assert row.method.broken_at is None


def test_delivery_task_twice_sends_once(smtp_server, user):
    factories.ContactMethodFactory(user=user)
    row = _only_delivery(_notify(user))
    assert deliver_notification.apply(args=[row.pk]).get() == "sent"
    assert deliver_notification.apply(args=[row.pk]).get() == "skipped"
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert row.attempts == 1


# ---------------------------------------------------------------------------------- webhook
def test_webhook_content_and_headers(webhook_server, user):
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    row = _only_delivery(_notify(user))
    assert services.notification_deliver(notification_id=row.pk) == "sent"
    (request,) = webhook_server.requests
    assert request["path"] == "/hooks/T000/B000/secret"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"] == channels.USER_AGENT
    text = webhook_json(request)["text"]
    assert text.startswith("*[SEV1] Payments down*\nCard auth failing.")
    assert "http://runwell.test/incidents/7/" in text


def test_webhook_500_is_retried_with_backoff(
    webhook_server, user, django_capture_on_commit_callbacks
):
    method = factories.ContactMethodFactory(
        user=user, channel="chat_webhook", address=webhook_server.url
    )
    webhook_server.statuses = [500, 502]
    row = _only_delivery(_notify(user))

    with django_capture_on_commit_callbacks() as callbacks:
        assert services.notification_deliver(notification_id=row.pk) == "retry"
    assert len(callbacks) == 1  # a short countdown task; the DB's next_attempt_at rules
    row.refresh_from_db()
    first_wait = row.next_attempt_at - timezone.now()
    assert row.status == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)
    # Not due yet: a stray task does nothing.
    assert services.notification_deliver(notification_id=row.pk) == "skipped"
    assert len(webhook_server.requests) == 1

    _make_due(row)
    assert services.notification_deliver(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.next_attempt_at - timezone.now() > first_wait  # backs off

    _make_due(row)
    assert services.notification_deliver(notification_id=row.pk) == "sent"
    row.refresh_from_db()
    method.refresh_from_db()
    assert row.status == "sent" and row.attempts == 3
    assert len(webhook_server.requests) == 3
    assert method.last_success_at is not None and method.broken_at is None


def test_webhook_gives_up_after_three_temporary_failures(webhook_server, user):
    method = factories.ContactMethodFactory(
        user=user, channel="chat_webhook", address=webhook_server.url
    )
    webhook_server.statuses = [503, 503, 503, 503]
    row = _only_delivery(_notify(user))
    outcomes = []
    for _ in range(3):
        outcomes.append(services.notification_deliver(notification_id=row.pk))
        _make_due(row)
    assert outcomes == ["retry", "retry", "failed"]
    assert services.notification_deliver(notification_id=row.pk) == "skipped"
    row.refresh_from_db()
    method.refresh_from_db()
    assert row.status == "failed" and row.attempts == 3 and not row.permanent_failure
    assert len(webhook_server.requests) == 3
    assert method.broken_at is None and method.last_failure_at is not None


def test_webhook_400_is_not_retried_and_is_reported(webhook_server, user, team, manager):
    factories.MembershipFactory(user=user, team=team)
    factories.ContactMethodFactory(user=user)  # an email method, to hear about it
    hook = factories.ContactMethodFactory(
        user=user, channel="chat_webhook", address=webhook_server.url
    )
    webhook_server.statuses = [400]
    message = _notify(user)
    row = message.deliveries.get(method=hook)
    assert services.notification_deliver(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    hook.refresh_from_db()
    assert row.status == "failed" and row.permanent_failure and row.attempts == 1
    # The status code and its standard phrase only: what the server said is never shown.
    assert row.last_error == hook.last_error == "Webhook answered HTTP 400 Bad Request"
    assert hook.broken_at is not None and not hook.is_working

    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert services.notification_deliver(notification_id=row.pk) == "skipped"
    # Only the email deliveries (the page, and the report about the webhook) are resent.
    assert services.notifications_sweep() == 2
    assert len(webhook_server.requests) == 1

    own = Message.objects.get(user=user, kind=Kind.REPORT)
    assert "cannot reach you by chat webhook" in own.subject
    # Told on the other methods, never on the broken one.
    assert [n.method_id for n in own.deliveries.all()] == [
        m.pk for m in user.contact_methods.exclude(pk=hook.pk)
    ]
    boss = Message.objects.get(user=manager, kind=Kind.REPORT)
    assert "cannot be reached by chat webhook" in boss.subject


def test_broken_method_reports_once_and_does_not_loop(webhook_server, user, team, manager):
    factories.MembershipFactory(user=user, team=team)
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    # The manager's own webhook is broken too: their report's failure must not loop.
    factories.ContactMethodFactory(
        user=manager, channel="chat_webhook", address=webhook_server.url + "x"
    )
    webhook_server.statuses = [404] * 10
    for i in range(3):
        row = _only_delivery(_notify(user, key=f"page:{i}"))
        Notification.objects.filter(kind=Kind.PAGE, status="sent").update(
            sent_at=timezone.now() - timedelta(minutes=5)
        )
        services.notification_deliver(notification_id=row.pk)
    for row in Notification.objects.filter(kind=Kind.REPORT, status="pending"):
        services.notification_deliver(notification_id=row.pk)
    assert Message.objects.filter(user=user, kind=Kind.REPORT).count() == 1
    # The manager hears about the person once, and once that their own webhook failed.
    assert sorted(
        Message.objects.filter(user=manager, kind=Kind.REPORT).values_list("subject", flat=True)
    ) == [
        "Runwell cannot reach you by chat webhook",
        f"{user.username} cannot be reached by chat webhook",
    ]
    assert Notification.objects.filter(status="pending").count() == 0


def test_send_test_reaches_only_that_method_and_clears_breakage(webhook_server, user):
    factories.ContactMethodFactory(user=user)
    hook = factories.ContactMethodFactory(
        user=user,
        channel="chat_webhook",
        address=webhook_server.url,
        broken_at=timezone.now(),
        last_error="HTTP 404",
    )
    message = methods.contact_method_send_test(method=hook)
    row = _only_delivery(message)
    assert row.method_id == hook.pk
    services.notification_deliver(notification_id=row.pk)
    hook.refresh_from_db()
    assert hook.broken_at is None and hook.last_success_at is not None
    assert "test" in webhook_json(webhook_server.requests[0])["text"]


def test_deleted_method_fails_the_delivery_without_sending(webhook_server, user):
    hook = factories.ContactMethodFactory(
        user=user, channel="chat_webhook", address=webhook_server.url
    )
    row = _only_delivery(_notify(user))
    methods.contact_method_delete(method=hook)
    assert services.notification_deliver(notification_id=row.pk) == "skipped"
    row.refresh_from_db()
    assert row.status == "failed" and row.method_id is None
    assert webhook_server.requests == []


# -------------------------------------------------------------------------- in flight, sweep
def test_sweeper_while_delivery_in_flight_sends_once(webhook_server, user):
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    row = _only_delivery(_notify(user))
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    # A worker claims the row and is mid-send ...
    claim = services._claim(notification_id=row.pk)
    assert claim is not None
    # ... while the sweeper runs and a duplicate task arrives.
    assert sweep_notifications.apply().get() == 0
    assert deliver_notification.apply(args=[row.pk]).get() == "skipped"
    channels.post_webhook(url=claim.method.address, outgoing=services._compose(claim.rows))
    services._record_success(claim=claim)
    assert services.notifications_sweep() == 0
    assert len(webhook_server.requests) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1


def test_sweeper_reenqueues_lost_and_stuck_deliveries(webhook_server, user):
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    fresh = _only_delivery(_notify(user, key="fresh"))
    lost = _only_delivery(_notify(user, key="lost", kind=Kind.NAG))
    stuck = _only_delivery(_notify(user, key="stuck", kind=Kind.SWAP))
    long_ago = timezone.now() - timedelta(minutes=10)
    Notification.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    Notification.objects.filter(pk=stuck.pk).update(
        status="sending", claimed_at=long_ago, attempts=1, next_attempt_at=None
    )
    from portal.notifications.models import Notification as N

    due_ids = set(
        N.objects.filter(pk__in=[fresh.pk, lost.pk, stuck.pk]).values_list("pk", flat=True)
    )
    assert services.notifications_sweep() == 2
    # The worker that picks the stuck row up sends it (its earlier worker died).
    for pk in due_ids:
        services.notification_deliver(notification_id=pk)
    assert {r.pk: r.status for r in N.objects.all()} == {
        fresh.pk: "sent",
        lost.pk: "sent",
        stuck.pk: "sent",
    }
    assert N.objects.get(pk=stuck.pk).attempts == 2


# ---------------------------------------------------------------------------------- bundling
def test_pages_within_a_minute_are_bundled(webhook_server, user):
    hook = factories.ContactMethodFactory(
        user=user, channel="chat_webhook", address=webhook_server.url
    )
    messages = [
        _notify(user, key=f"page:{i}", subject=f"[SEV2] Incident {i}", url=f"/incidents/{i}/")
        for i in range(3)
    ]
    rows = [_only_delivery(m) for m in messages]
    assert services.notification_deliver(notification_id=rows[0].pk) == "sent"
    for row in rows[1:]:
        assert services.notification_deliver(notification_id=row.pk) == "skipped"
    (request,) = webhook_server.requests
    text = webhook_json(request)["text"]
    assert text.startswith("*3 pages: [SEV2] Incident 2*")
    assert all(f"http://runwell.test/incidents/{i}/" in text for i in range(3))
    logged = {r.pk: (r.status, r.bundled_into_id) for r in Notification.objects.all()}
    assert logged == {
        rows[0].pk: ("sent", None),
        rows[1].pk: ("sent", rows[0].pk),
        rows[2].pk: ("sent", rows[0].pk),
    }

    # Another page 10 s later waits for the minute to end instead of buzzing again ...
    later = _only_delivery(_notify(user, key="page:3"))
    assert services.notification_deliver(notification_id=later.pk) == "skipped"
    later.refresh_from_db()
    assert later.status == "pending" and later.next_attempt_at > timezone.now()
    # ... and is sent once the minute is over.
    Notification.objects.filter(method=hook, status="sent").update(
        sent_at=timezone.now() - timedelta(seconds=61)
    )
    _make_due(later)
    assert services.notification_deliver(notification_id=later.pk) == "sent"
    assert len(webhook_server.requests) == 2


def test_non_pages_are_not_held(webhook_server, user):
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    a = _only_delivery(_notify(user, key="a"))
    b = _only_delivery(_notify(user, key="b", kind=Kind.SHIFT_REMINDER))
    assert services.notification_deliver(notification_id=a.pk) == "sent"
    assert services.notification_deliver(notification_id=b.pk) == "sent"
    assert len(webhook_server.requests) == 2


# -------------------------------------------------------------------------------- end to end
def test_notify_end_to_end_through_celery(
    celery_eager, webhook_server, smtp_server, user, django_capture_on_commit_callbacks
):
    """notify → on commit → Celery task → both servers, nothing left pending."""
    factories.ContactMethodFactory(user=user, address="bob@example.com")
    factories.ContactMethodFactory(user=user, channel="chat_webhook", address=webhook_server.url)
    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(user, kind=Kind.SWAP, subject="Ann asks you to cover Sat")
        assert webhook_server.requests == [] and smtp_server.messages == []
    assert len(webhook_server.requests) == 1 and len(smtp_server.messages) == 1
    assert set(message.deliveries.values_list("status", flat=True)) == {"sent"}
