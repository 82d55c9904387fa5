"""Issue 15: delivery errors stored before the SSRF fix quoted the remote server's answer; the
migration cuts them to the status code and its standard phrase."""

import importlib

import pytest
from django.apps import apps

from portal.notifications import services
from portal.notifications.models import ContactMethod, Kind, Notification
from tests import factories

migration = importlib.import_module("portal.notifications.migrations.0003_forget_remote_answers")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        (
            "Webhook answered HTTP 500: -ERR unknown command 'GET'",
            "Webhook answered HTTP 500 Internal Server Error",
        ),
        ('Webhook answered HTTP 200: {"ami-id": "secret"}\nmore', "Webhook answered HTTP 200 OK"),
        ("Webhook answered HTTP 599: whatever", "Webhook answered HTTP 599"),
        ("Webhook answered HTTP 404 Not Found", "Webhook answered HTTP 404 Not Found"),
        ("Webhook timed out after 5 s", "Webhook timed out after 5 s"),
    ],
)
def test_stored_remote_answers_are_cut_to_the_status(stored, kept):
    method = factories.ContactMethodFactory(webhook=True)
    ContactMethod.objects.filter(pk=method.pk).update(last_error=stored)
    migration.forget(apps, None)
    assert ContactMethod.objects.get(pk=method.pk).last_error == kept


def test_notification_errors_are_cut_too():
    method = factories.ContactMethodFactory(webhook=True)
    message = services.notify(user=method.user, kind=Kind.NAG, dedup_key="k", subject="s", body="b")
    row = message.deliveries.get()
    Notification.objects.filter(pk=row.pk).update(last_error="Webhook answered HTTP 502: internal")
    migration.forget(apps, None)
    assert Notification.objects.get(pk=row.pk).last_error == "Webhook answered HTTP 502 Bad Gateway"
