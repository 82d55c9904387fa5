"""A chat webhook cannot be aimed at the portal's own network (issue 15, SSRF): internal
addresses are refused when saved, on the page and in the API, and at send time a method that
points at one (saved before, or whose name now resolves there) reaches nothing and shows only
a short reason, never what an internal service answered."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.notifications import services
from portal.notifications.models import ContactMethod, Notification
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
METHODS = "/api/v1/contact-methods/"
SECRET = "SECRET-INTERNAL-ANSWER"
# The examples: a local port, Redis by name, cloud metadata, PostgreSQL over IPv6.
INTERNAL = [
    "http://127.0.0.1:8000/admin/",
    "http://localhost:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:5432/",
    "http://10.0.0.8/hooks/x",
    "http://[::ffff:127.0.0.1]/",
]


@pytest.fixture
def me(client, user):
    client.force_login(user)
    return user


@pytest.fixture
def api():
    """``api(user)``: an API client with a new personal token of ``user``."""

    def make(user) -> APIClient:
        client = APIClient()
        token = factories.ApiTokenFactory(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.raw}")
        return client

    return make


@pytest.fixture
def internal_service():
    """Something on loopback that must never be reached: it answers with a secret."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            body = SECRET.encode()
            self.send_response(500, SECRET)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.hits = hits
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# ------------------------------------------------------------------------------- saving
@pytest.mark.parametrize("address", INTERNAL)
def test_the_page_refuses_an_internal_webhook_with_the_error_in_place(client, me, address):
    data = {"channel": "chat_webhook", "address": address}
    for extra in (HX, {}):
        response = client.post(reverse("notifications:method_add"), data, **extra)
        assert response.status_code == 400
        assert "private, loopback or reserved address" in response.content.decode()
    assert not ContactMethod.objects.exists()


@pytest.mark.parametrize("address", INTERNAL)
def test_the_api_refuses_an_internal_webhook_naming_the_field(api, user, address):
    response = api(user).post(METHODS, {"channel": "chat_webhook", "address": address})
    assert response.status_code == 400
    assert "private, loopback or reserved" in response.json()["address"][0]
    assert not ContactMethod.objects.exists()


def test_editing_a_webhook_to_an_internal_address_is_refused(api, client, me):
    method = factories.ContactMethodFactory(user=me, webhook=True)
    before = method.address
    response = api(me).patch(f"{METHODS}{method.pk}/", {"address": "http://localhost:6379/"})
    assert response.status_code == 400 and "address" in response.json()
    data = {"address": "http://169.254.169.254/", "label": "", "enabled": "on"}
    response = client.post(reverse("notifications:method_edit", args=[method.pk]), data, **HX)
    assert response.status_code == 400
    assert "private, loopback or reserved address" in response.content.decode()
    method.refresh_from_db()
    assert method.address == before


def test_a_public_webhook_is_still_accepted(api, user):
    response = api(user).post(
        METHODS, {"channel": "chat_webhook", "address": "https://8.8.8.8/services/T/B/x"}
    )
    assert response.status_code == 201


# ------------------------------------------------------------------------------ sending
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_test_button_on_an_internal_webhook_reaches_nothing_and_shows_no_answer(
    api, client, me, internal_service, host
):
    """The issue's attack: a method aimed at an internal port (saved before this check, or
    through a name that resolves there), Test pressed, the answer read back."""
    port = internal_service.server_address[1]
    method = factories.ContactMethodFactory(
        user=me, channel="chat_webhook", address=f"http://{host}:{port}/"
    )
    response = api(me).post(f"{METHODS}{method.pk}/test/")
    assert response.status_code == 202
    delivery = Notification.objects.get(method=method)
    assert services.notification_deliver(notification_id=delivery.pk) == "failed"

    assert internal_service.hits == []
    delivery.refresh_from_db()
    method.refresh_from_db()
    assert delivery.permanent_failure and method.broken_at is not None
    assert "private, loopback or reserved" in method.last_error
    shown = [
        api(me).get(f"{METHODS}{method.pk}/").content.decode(),
        api(me).get(f"/api/v1/inbox/{delivery.message_id}/").content.decode(),
        client.get(reverse("people:profile")).content.decode(),
        client.get(reverse("notifications:inbox")).content.decode(),
    ]
    assert all(SECRET not in text for text in shown)
    assert "private, loopback or reserved" in shown[0]


def test_an_allow_listed_webhook_that_fails_shows_the_status_not_the_body(
    api, client, me, internal_service, settings
):
    settings.OUTBOUND_ALLOW_PRIVATE = ["127.0.0.1/32"]  # staff opted in to this network
    port = internal_service.server_address[1]
    method = factories.ContactMethodFactory(
        user=me, channel="chat_webhook", address=f"http://127.0.0.1:{port}/hook"
    )
    api(me).post(f"{METHODS}{method.pk}/test/")
    delivery = Notification.objects.get(method=method)
    assert services.notification_deliver(notification_id=delivery.pk) == "retry"
    assert internal_service.hits == ["/hook"]
    method.refresh_from_db()
    assert method.last_error == "Webhook answered HTTP 500 Internal Server Error"
    assert SECRET not in api(me).get(f"{METHODS}{method.pk}/").content.decode()
    assert SECRET not in client.get(reverse("people:profile")).content.decode()
