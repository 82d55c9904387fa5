"""Writes about contact methods: add (at most ``CONTACT_METHODS_MAX`` per person), edit,
remove, and send a test.

A test sends a message to an address the person typed, with a label they chose, so it is
rate-limited twice over a ten-minute window: per person (``CONTACT_TESTS_PER_PERSON``) and
per address, whoever sends it (``CONTACT_TESTS_PER_ADDRESS``), so that nobody can use Runwell
to flood a third party's mailbox or channel, from one account or from several. The counts
come from the test messages themselves (the database is the source of truth; nothing is
lost when Redis is), with the rows that could race locked first.
"""

import hashlib
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.notifications.addresses import validate_address
from portal.notifications.models import ContactMethod, Kind, Message
from portal.notifications.services import message_send

TEST_WINDOW = timedelta(minutes=10)


class TestThrottled(Exception):
    """Too many tests lately; ``retry_after`` seconds until the next one is allowed."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def contact_method_create(*, user, channel: str, address: str, label: str = "") -> ContactMethod:
    method = ContactMethod(user=user, channel=channel, address=address.strip(), label=label)
    _validate_method(method)
    limit = settings.CONTACT_METHODS_MAX
    with transaction.atomic():
        # The person's row, locked: two adds at once cannot both pass the count.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ContactMethod.objects.filter(user=user).count() >= limit:
            raise ValidationError(
                f"You have {limit} contact methods, the most allowed. "
                "Remove one before adding another."
            )
        method.save()
    return method


def contact_method_update(
    *, method: ContactMethod, address: str, label: str, enabled: bool
) -> ContactMethod:
    address = address.strip()
    fields = ["address", "label", "enabled"]
    if address != method.address:
        # A new address deserves a fresh start: it has never failed.
        method.broken_at = method.last_failure_at = method.last_success_at = None
        method.last_error = ""
        fields += ["broken_at", "last_failure_at", "last_success_at", "last_error"]
    method.address, method.label, method.enabled = address, label, enabled
    _validate_method(method)
    with transaction.atomic():
        method.save(update_fields=fields)
    return method


def _validate_method(method: ContactMethod) -> None:
    validate_address(channel=method.channel, address=method.address)
    clash = ContactMethod.objects.filter(
        user=method.user, channel=method.channel, address=method.address
    ).exclude(pk=method.pk)
    if clash.exists():
        raise ValidationError({"address": "You already have this contact method."})


def contact_method_delete(*, method: ContactMethod) -> None:
    with transaction.atomic():
        method.delete()


def _address_key(method: ContactMethod) -> str:
    """The address as test messages' dedup keys carry it (hashed: keys are not secret)."""
    raw = f"{method.channel}:{method.address.strip().lower()}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _retry_after(tests, *, limit: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` of ``tests`` are in the window (None: already)."""
    latest = list(tests.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(latest) < limit:
        return None
    return max(1, math.ceil((latest[-1] + TEST_WINDOW - now).total_seconds()))


def contact_method_send_test(*, method: ContactMethod) -> Message:
    """Send a test message to this one method (whatever the preferences say). It appears in
    the inbox too, and its outcome updates the method's last success or failure. Raises
    ``TestThrottled`` past the limits per person and per address."""
    now = timezone.now()
    key = _address_key(method)
    with transaction.atomic():
        # Lock the person's methods and every method with this address (anyone's), so that
        # tests at the same moment are counted one after the other.
        list(
            ContactMethod.objects.select_for_update()
            .filter(
                Q(user_id=method.user_id)
                | Q(channel=method.channel, address__iexact=method.address)
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        recent = Message.objects.filter(
            kind=Kind.REPORT, created_at__gt=now - TEST_WINDOW, dedup_key__startswith="test:"
        )
        limits = (
            (recent.filter(user_id=method.user_id), settings.CONTACT_TESTS_PER_PERSON, "you"),
            (
                recent.filter(dedup_key__startswith=f"test:{key}:"),
                settings.CONTACT_TESTS_PER_ADDRESS,
                "this address",
            ),
        )
        for tests, limit, who in limits:
            wait = _retry_after(tests, limit=limit, now=now)
            if wait is not None:
                minutes = math.ceil(wait / 60)
                raise TestThrottled(
                    f"Too many test messages to {who}: at most {limit} in "
                    f"{TEST_WINDOW.seconds // 60} minutes. Try again in {minutes} "
                    f"minute{'s' if minutes != 1 else ''}.",
                    retry_after=wait,
                )
        return message_send(
            user=method.user,
            kind=Kind.REPORT,
            dedup_key=f"test:{key}:{method.pk}:{now.timestamp():.6f}",
            subject="Runwell test message",
            body=(
                f"This is a test of your {method.get_channel_display().lower()} {method.name}. "
                "If you can read it, Runwell can reach you here."
            ),
            url=reverse("people:profile"),
            methods=[method],
        )
