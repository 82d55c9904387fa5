"""Writes of the notifications layer: sending messages, delivering them, preferences and the
inbox (contact methods have their own module, ``methods.py``).

Sending: every other area sends through ``notify``. It is idempotent on ``dedup_key``, so
callers can be naive about retries::

    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    # An escalation step paging someone (one message per incident, level, repeat and person):
    notify(
        user=person,
        kind=Kind.PAGE,
        dedup_key=f"page:{incident.pk}:{level}:{repeat}:{person.pk}",
        subject=f"[SEV{incident.severity}] {incident.title}",
        body="Triggered 2 minutes ago by Alertmanager. Acknowledge from the link.",
        url=f"/incidents/{incident.pk}/",  # made absolute with settings.RUNWELL_BASE_URL
        incident_id=incident.pk,
    )

    # A shift reminder (once per shift and kind of reminder):
    notify(
        user=shift_user,
        kind=Kind.SHIFT_REMINDER,
        dedup_key=f"remind:{shift_id}:start",
        subject="On call from 09:00 tomorrow (Payments primary)",
        body="Your shift starts Tue 09:00 Europe/Berlin and ends Tue 18:00.",
        url="/oncall/",
    )

    # A nag, at most one per item per day:
    notify(user=owner, kind=Kind.NAG, dedup_key=f"nag:action:{item.pk}:{date.today()}", ...)

``notify`` creates the inbox ``Message`` and one ``Notification`` per contact method the person
enabled for that kind, and enqueues each delivery when the transaction commits (at once
outside a transaction). Calling it again with the same key returns the first message and sends
nothing more.

Delivery (``notification_deliver``, run by one Celery task per notification): a short claim
transaction (row lock with SKIP LOCKED, mark "sending", count the attempt), the network call
with no transaction open, then a short transaction recording the outcome. Temporary failures
are retried with backoff (the database's ``next_attempt_at`` is the source of truth; the
sweeper re-enqueues due rows and rows stuck in "sending"); permanent failures mark the contact
method broken and tell the person and their managers in-app. Pages to one contact method
within 60 s are bundled into one message; every row is still logged.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from portal.enqueue import enqueue_on_commit, task_named
from portal.notifications import channels
from portal.notifications.models import (
    Channel,
    ContactMethod,
    Kind,
    Message,
    Notification,
    NotificationPreference,
)
from portal.notifications.selectors import methods_for
from portal.people.names import person_name
from portal.people.selectors import managers_of
from portal.wording import possessive

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Wait after the 1st and 2nd failed attempt: three tries over about two and a half minutes.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(seconds=120))
PAGE_BUNDLE_WINDOW = timedelta(seconds=60)
MAX_BUNDLE = 50
# A row pending this long past its due time lost its task (broker down, worker died).
SWEEP_GRACE = timedelta(seconds=20)
# A row "sending" this long lost its worker mid-send (sends time out within seconds).
SENDING_TIMEOUT = timedelta(minutes=2)
SUBJECT_MAX = 200
LOCK_SCREEN_SUBJECT = 90


def absolute_url(url: str) -> str:
    if url.startswith("/"):
        return f"{settings.RUNWELL_BASE_URL}{url}"
    return url


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------------- sending
def notify(
    *,
    user,
    kind: str,
    dedup_key: str,
    subject: str,
    body: str,
    url: str = "",
    links: Sequence[tuple[str, str]] = (),
    incident_id: int | None = None,
) -> Message:
    """Put a message in the person's inbox and deliver it to the methods they chose for
    ``kind``. Idempotent on ``dedup_key``; safe inside or outside a transaction.

    ``links`` are ``(label, url)`` actions that the calling code made (the inbox shows them
    as buttons, email and chat as "Label: url" lines after the body). Never build them from
    text a person wrote; ``body`` is shown as text."""
    return message_send(
        user=user,
        kind=kind,
        dedup_key=dedup_key,
        subject=subject,
        body=body,
        url=url,
        links=links,
        incident_id=incident_id,
    )


def message_send(
    *,
    user,
    kind: str,
    dedup_key: str,
    subject: str,
    body: str,
    url: str = "",
    links: Sequence[tuple[str, str]] = (),
    incident_id: int | None = None,
    methods: list[ContactMethod] | None = None,
    exclude_method_ids: tuple[int, ...] = (),
) -> Message:
    """``notify``, plus the choice of methods: exactly ``methods`` (a test), or the person's
    methods for ``kind`` minus ``exclude_method_ids`` (a report about a broken one)."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown message kind {kind!r}")
    existing = Message.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            # A savepoint, so a concurrent insert of the same key (which waits on the unique
            # index until the other transaction ends) rolls back only this statement.
            with transaction.atomic():
                message = Message.objects.create(
                    user=user,
                    kind=kind,
                    dedup_key=dedup_key,
                    subject=_one_line(subject, SUBJECT_MAX),
                    body=body,
                    url=absolute_url(url),
                    links=[{"label": label, "url": absolute_url(href)} for label, href in links],
                    incident_id=incident_id,
                )
        except IntegrityError:
            return Message.objects.get(dedup_key=dedup_key)
        if methods is None:
            methods = [
                m for m in methods_for(user=user, kind=kind) if m.pk not in exclude_method_ids
            ]
        now = timezone.now()
        for method in methods:
            notification = Notification.objects.create(
                message=message,
                method=method,
                user=user,
                kind=kind,
                channel=method.channel,
                dedup_key=f"{dedup_key}:{method.pk}",
                next_attempt_at=now,
            )
            _deliver_on_commit(notification.pk)
    return message


DELIVER = "portal.notifications.tasks.deliver_notification"


def _deliver_on_commit(notification_id: int, countdown: float | None = None) -> None:
    """Enqueue the delivery once committed. A broker outage must not break (or hold) the
    caller's request: the row stays pending and the sweeper enqueues it once the broker is
    back."""
    options = {"countdown": max(countdown, 0)} if countdown else {}
    enqueue_on_commit(
        DELIVER,
        args=[notification_id],
        what=f"delivery of notification {notification_id}",
        meanwhile="the sweeper will enqueue it.",
        log=logger,
        **options,
    )


# -------------------------------------------------------------------------------- delivery
@dataclass
class _Claim:
    rows: list[Notification]  # the notification asked for first, then bundled pages
    method: ContactMethod
    claimed_at: datetime


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one notification (and any pages bundled with it). Safe to run any number of
    times, concurrently too: only the run that claims the row sends. Returns what happened:
    "sent", "retry", "failed" or "skipped"."""
    claim = _claim(notification_id=notification_id)
    if claim is None:
        return "skipped"
    outgoing = _compose(claim.rows)
    try:
        if claim.method.channel == Channel.EMAIL:
            channels.send_email(address=claim.method.address, outgoing=outgoing)
        else:
            channels.post_webhook(url=claim.method.address, outgoing=outgoing)
    except channels.DeliveryError as err:
        logger.warning("Delivery of notification %s failed: %s", notification_id, err.reason)
        return _record_failure(claim=claim, error=err)
    except Exception as exc:  # a bug or an unexpected library error: retry, never lose it
        logger.exception("Delivery of notification %s crashed", notification_id)
        err = channels.DeliveryError(f"Unexpected error: {exc!r}", permanent=False)
        return _record_failure(claim=claim, error=err)
    _record_success(claim=claim)
    return "sent"


def _claim(*, notification_id: int) -> _Claim | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("message", "method")
            .filter(pk=notification_id)
            .first()
        )
        if row is None:  # deleted, or another worker is claiming it right now
            return None
        if row.status in (Notification.Status.SENT, Notification.Status.FAILED):
            return None
        if row.status == Notification.Status.SENDING:
            if row.claimed_at and row.claimed_at > now - SENDING_TIMEOUT:
                return None  # in flight elsewhere
            if row.attempts >= MAX_ATTEMPTS:
                _fail_rows([row], "The worker was lost while sending; gave up.")
                return None
        elif row.next_attempt_at and row.next_attempt_at > now:
            return None  # a retry or a bundled page that is not due yet
        method = row.method
        if method is None or not method.enabled:
            reason = "The contact method was removed." if method is None else "Disabled."
            _fail_rows([row], f"Not sent: {reason}")
            return None
        rows = [row]
        if row.kind == Kind.PAGE:
            hold_until = _page_hold_until(method=method, now=now)
            if hold_until is not None:
                # Paged on this method less than a minute ago: wait for the window to end and
                # send everything that arrived meanwhile as one message.
                row.status = Notification.Status.PENDING
                row.next_attempt_at = hold_until
                row.save(update_fields=["status", "next_attempt_at"])
                _deliver_on_commit(row.pk, countdown=(hold_until - now).total_seconds())
                return None
            rows += list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("message")
                .filter(method=method, kind=Kind.PAGE, status=Notification.Status.PENDING)
                .exclude(pk=row.pk)
                .order_by("created_at", "pk")[: MAX_BUNDLE - 1]
            )
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Notification.Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
        )
        for r in rows:
            r.status, r.claimed_at, r.attempts = Notification.Status.SENDING, now, r.attempts + 1
    return _Claim(rows=rows, method=method, claimed_at=now)


def _page_hold_until(*, method: ContactMethod, now: datetime) -> datetime | None:
    last = Notification.objects.filter(
        method=method,
        kind=Kind.PAGE,
        status=Notification.Status.SENT,
        sent_at__gt=now - PAGE_BUNDLE_WINDOW,
    ).aggregate(last=Max("sent_at"))["last"]
    return last + PAGE_BUNDLE_WINDOW if last else None


def _compose(rows: list[Notification]) -> channels.Outgoing:
    profile_url = absolute_url(reverse("people:profile"))
    footer = f"\n\n--\nRunwell. Choose what reaches you where: {profile_url}"
    if len(rows) == 1:
        message = rows[0].message
        lines = [f"{link['label']}: {link['url']}" for link in message.links]
        if message.url and all(link["url"] != message.url for link in message.links):
            lines.append(message.url)
        body = "\n\n".join(part for part in (message.body.strip(), "\n".join(lines)) if part)
        return channels.Outgoing(
            subject=_one_line(message.subject, LOCK_SCREEN_SUBJECT), body=body + footer
        )
    messages = sorted((r.message for r in rows), key=lambda m: (m.created_at, m.pk))
    latest = messages[-1]
    subject = _one_line(f"{len(messages)} pages: {latest.subject}", LOCK_SCREEN_SUBJECT)
    lines = [f"You have {len(messages)} new pages:"]
    for m in messages:
        lines.append(f"- {m.subject}" + (f"\n  {m.url}" if m.url else ""))
    return channels.Outgoing(subject=subject, body="\n".join(lines) + footer)


def _locked_rows(claim: _Claim) -> list[Notification]:
    """The claimed rows, locked again, minus any that another run finished meanwhile."""
    rows = Notification.objects.select_for_update().filter(pk__in=[r.pk for r in claim.rows])
    by_pk = {r.pk: r for r in rows}
    return [
        by_pk[r.pk]
        for r in claim.rows
        if r.pk in by_pk and by_pk[r.pk].status == Notification.Status.SENDING
    ]


def _record_success(*, claim: _Claim) -> None:
    now = timezone.now()
    with transaction.atomic():
        rows = _locked_rows(claim)
        anchor_pk = claim.rows[0].pk
        for r in rows:
            r.status = Notification.Status.SENT
            r.sent_at = now
            r.last_error = ""
            r.permanent_failure = False
            r.bundled_into_id = anchor_pk if r.pk != anchor_pk else None
        Notification.objects.bulk_update(
            rows, ["status", "sent_at", "last_error", "permanent_failure", "bundled_into"]
        )
        ContactMethod.objects.filter(pk=claim.method.pk).update(last_success_at=now, broken_at=None)


def _fail_rows(rows: list[Notification], reason: str, *, permanent: bool = False) -> None:
    for r in rows:
        r.status = Notification.Status.FAILED
        r.last_error = reason[:500]
        r.permanent_failure = permanent
        r.next_attempt_at = None
    Notification.objects.bulk_update(
        rows, ["status", "last_error", "permanent_failure", "next_attempt_at"]
    )


def _record_failure(*, claim: _Claim, error: channels.DeliveryError) -> str:
    now = timezone.now()
    outcome = "failed"
    with transaction.atomic():
        rows = _locked_rows(claim)
        if error.permanent:
            _fail_rows(rows, error.reason, permanent=True)
        else:
            for r in rows:
                r.last_error = error.reason
                if r.attempts >= MAX_ATTEMPTS:
                    r.status = Notification.Status.FAILED
                    r.next_attempt_at = None
                else:
                    delay = RETRY_DELAYS[min(r.attempts, len(RETRY_DELAYS)) - 1]
                    r.status = Notification.Status.PENDING
                    r.next_attempt_at = now + delay
                    outcome = "retry"
                    _deliver_on_commit(r.pk, countdown=delay.total_seconds())
            Notification.objects.bulk_update(rows, ["status", "last_error", "next_attempt_at"])
        method = ContactMethod.objects.select_for_update().filter(pk=claim.method.pk).first()
        if method is None:
            return outcome
        method.last_failure_at = now
        method.last_error = error.reason
        fields = ["last_failure_at", "last_error"]
        newly_broken = error.permanent and method.broken_at is None
        if newly_broken:
            method.broken_at = now
            fields.append("broken_at")
        method.save(update_fields=fields)
        if newly_broken:
            _report_broken_method(method=method)
    return outcome


def _report_broken_method(*, method: ContactMethod) -> None:
    """Tell the person (in-app and on their other methods) and their managers that a contact
    method failed permanently. Runs once per breakage (the transition to broken), so a report
    that fails in turn cannot loop."""
    person = method.user
    name = person_name(person)
    what = method.get_channel_display().lower()
    stamp = int(method.broken_at.timestamp())
    message_send(
        user=person,
        kind=Kind.REPORT,
        dedup_key=f"method-broken:{method.pk}:{stamp}",
        subject=f"Runwell cannot reach you by {what}",
        body=(
            f"Delivery to your {what} {method.name} failed and will not be retried:\n"
            f"{method.last_error}\n\nFix the address and send a test from your profile."
        ),
        url=reverse("people:profile"),
        exclude_method_ids=(method.pk,),
    )
    for manager in managers_of(user=person):
        message_send(
            user=manager,
            kind=Kind.REPORT,
            dedup_key=f"method-broken:{method.pk}:{stamp}:manager:{manager.pk}",
            subject=f"{name} cannot be reached by {what}",
            body=(
                f"Delivery to {possessive(name)} {what} failed permanently:\n"
                f"{method.last_error}\n\n"
                "Someone on call who cannot be reached is a hole in the rota."
            ),
            url=reverse("notifications:inbox"),
        )


# --------------------------------------------------------------------------------- sweeper
def notifications_sweep(*, limit: int = 500) -> int:
    """Re-enqueue deliveries whose task was lost: pending past their due time (plus a grace
    period) or stuck in "sending" past the timeout. Returns how many were enqueued."""
    now = timezone.now()
    due = Q(status=Notification.Status.PENDING) & (
        Q(next_attempt_at__lte=now - SWEEP_GRACE)
        | Q(next_attempt_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
    )
    stuck = Q(status=Notification.Status.SENDING, claimed_at__lte=now - SENDING_TIMEOUT)
    ids = list(
        Notification.objects.filter(due | stuck)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    deliver = task_named(DELIVER)
    for pk in ids:
        deliver.delay(pk)
    return len(ids)


# ------------------------------------------------------------------------------ preferences
def preferences_set(*, user, choices: dict[str, set[int]]) -> None:
    """Set which of the user's methods receive each kind. ``choices`` maps a kind to the ids
    of the methods that should get it; kinds left out are not changed."""
    methods = list(ContactMethod.objects.filter(user=user))
    with transaction.atomic():
        for kind, chosen in choices.items():
            if kind not in Kind.values:
                raise ValidationError(f"Unknown message kind {kind!r}.")
            for method in methods:
                NotificationPreference.objects.update_or_create(
                    method=method, kind=kind, defaults={"enabled": method.pk in chosen}
                )


# ------------------------------------------------------------------------------------ inbox
def message_mark_read(*, user, message_id: int) -> Message:
    message = Message.objects.get(pk=message_id, user=user)
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def messages_mark_all_read(*, user) -> int:
    return Message.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
