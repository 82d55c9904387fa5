import pytest
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import ContactMethod, Kind, Message, NotificationPreference
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def me(client, user):
    client.force_login(user)
    return user


# ------------------------------------------------------------------------------ inbox, badge
def test_anonymous_is_sent_to_login(client):
    for name in ["notifications:inbox", "notifications:badge"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("notifications:badge"), **HX).status_code == 286  # stop polling
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302


def test_inbox_lists_own_messages_with_their_deliveries(client, me, django_assert_max_num_queries):
    for i in range(30):
        message = factories.MessageFactory(user=me, subject=f"Subject {i}", kind=Kind.PAGE)
        factories.NotificationFactory(message=message, method__user=me)
    factories.MessageFactory(subject="Someone else's")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Subject 29" in body and "Subject 0" in body
    assert "Someone else" not in body
    assert "Email: pending" in body
    assert 'class="badge count" aria-label="30 unread"' in body


def test_inbox_unread_filter_and_pages(client, me):
    factories.MessageFactory(user=me, subject="Seen it", read_at=timezone.now())
    factories.MessageFactory(user=me, subject="New one")
    body = client.get(reverse("notifications:inbox") + "?unread=1").content.decode()
    assert "New one" in body and "Seen it" not in body
    response = client.get(reverse("notifications:inbox") + "?page=99", **HX)
    assert response.status_code == 200 and "<html" not in response.content.decode()


def test_badge_counts_unread_in_one_query(client, me, django_assert_max_num_queries):
    factories.MessageFactory.create_batch(3, user=me)
    factories.MessageFactory(user=me, read_at=timezone.now())
    client.get(reverse("notifications:badge"))  # warm the session
    with django_assert_max_num_queries(4):  # session, user, profile (time zone), count
        response = client.get(reverse("notifications:badge"), **HX)
    body = response.content.decode()
    assert 'hx-trigger="every 20s, notificationsRead from:body"' in body
    assert ">3</span>" in body


def test_nav_carries_the_badge(client, me):
    factories.MessageFactory(user=me)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'id="unread-badge"' in body and 'aria-label="1 unread"' in body


def test_mark_read(client, me):
    message = factories.MessageFactory(user=me)
    response = client.post(reverse("notifications:mark_read", args=[message.pk]), **HX)
    assert response.status_code == 200
    assert "notificationsRead" in response["HX-Trigger"]
    message.refresh_from_db()
    assert message.read_at is not None
    response = client.post(reverse("notifications:mark_read", args=[message.pk]))
    assert response.status_code == 302


def test_cannot_mark_someone_elses_message(client, me):
    other = factories.MessageFactory()
    response = client.post(reverse("notifications:mark_read", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get(reverse("notifications:mark_read", args=[other.pk])).status_code == 405


def test_mark_all_read(client, me):
    factories.MessageFactory.create_batch(2, user=me)
    other = factories.MessageFactory()
    response = client.post(reverse("notifications:mark_all_read"), **HX)
    assert response.status_code == 204
    assert not Message.objects.filter(user=me, read_at__isnull=True).exists()
    assert Message.objects.get(pk=other.pk).read_at is None


# ------------------------------------------------------------------------ profile section
def test_profile_shows_methods_preferences_and_unreachable_flag(client, me):
    body = client.get(reverse("people:profile")).content.decode()
    assert "Runwell cannot reach you" in body
    factories.ContactMethodFactory(user=me, address="me@example.com")
    factories.ContactMethodFactory(
        user=me,
        channel="chat_webhook",
        address="https://hooks.example.com/services/SECRET",
        broken_at=timezone.now(),
        last_failure_at=timezone.now(),
        last_error="Webhook answered HTTP 404: no_service",
    )
    body = client.get(reverse("people:profile")).content.decode()
    assert "Runwell cannot reach you" not in body
    assert "me@example.com" in body and "Last delivered" not in body
    assert "https://hooks.example.com/…" in body  # the secret part of the URL stays hidden
    assert "Webhook answered HTTP 404: no_service" in body and "Failing" in body
    assert body.count('type="checkbox" name="page"') == 2


def test_add_method_htmx_and_plain(client, me):
    url = reverse("notifications:method_add")
    response = client.post(url, {"channel": "email", "address": "a@example.com"}, **HX)
    assert response.status_code == 200 and "a@example.com" in response.content.decode()
    response = client.post(
        url, {"channel": "chat_webhook", "address": "https://chat.example.com/h/1", "label": "Ops"}
    )
    assert response.status_code == 302
    assert ContactMethod.objects.filter(user=me).count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"channel": "email", "address": "nope"},
        {"channel": "chat_webhook", "address": "javascript:alert(1)"},
        {"channel": "sms", "address": "+4412345"},
        {"channel": "email", "address": ""},
    ],
)
def test_add_method_bad_input(client, me, data):
    response = client.post(reverse("notifications:method_add"), data, **HX)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not ContactMethod.objects.exists()
    response = client.post(reverse("notifications:method_add"), data)
    assert response.status_code == 400


def test_add_duplicate_method_is_refused(client, me):
    factories.ContactMethodFactory(user=me, address="a@example.com")
    response = client.post(
        reverse("notifications:method_add"), {"channel": "email", "address": "a@example.com"}, **HX
    )
    assert response.status_code == 400
    assert "already have" in response.content.decode()


def test_edit_and_delete_method(client, me):
    method = factories.ContactMethodFactory(user=me)
    url = reverse("notifications:method_edit", args=[method.pk])
    response = client.post(url, {"address": "new@example.com", "label": "Home"}, **HX)
    assert response.status_code == 200
    method.refresh_from_db()
    assert (method.address, method.label, method.enabled) == ("new@example.com", "Home", False)
    assert client.post(url, {"address": "bad", "enabled": "on"}).status_code == 400
    response = client.post(reverse("notifications:method_delete", args=[method.pk]))
    assert response.status_code == 302 and not ContactMethod.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"address": "not-an-email", "label": "Typo"}, "Enter a valid email address."),
        ({"address": "", "label": "Empty"}, "This field is required."),
        (
            {"address": "taken@example.com", "label": "Twin"},
            "You already have this contact method.",
        ),
        ({"address": "ok@example.com", "label": "x" * 81}, "at most 80 characters"),
    ],
)
def test_edit_method_bad_input_htmx_swaps_the_section_with_the_error(client, me, data, error):
    method = factories.ContactMethodFactory(user=me, address="me@example.com", label="Work")
    factories.ContactMethodFactory(user=me, address="taken@example.com")
    url = reverse("notifications:method_edit", args=[method.pk])
    response = client.post(url, {**data, "enabled": "on"}, **HX)
    assert response.status_code == 400  # swapped in by the htmx-config responseHandling rule
    body = response.content.decode()
    # A fragment for #notifications-section, not a second page inside the profile.
    assert "<html" not in body and 'class="topbar"' not in body
    assert body.lstrip().startswith('<section class="card" id="notifications-section">')
    assert error in body
    # The error sits in this method's edit form, which stays open with what was typed.
    row = body[body.index(f'id="method-{method.pk}"') :]
    row = row[: row.index("</li>")]
    assert '<details class="inline" open>' in row
    assert error in row and 'aria-invalid="true"' in row
    assert f'value="{data["label"]}"' in row
    method.refresh_from_db()
    assert (method.address, method.label, method.enabled) == ("me@example.com", "Work", True)


def test_edit_method_bad_input_plain_is_a_page_with_the_error(client, me):
    method = factories.ContactMethodFactory(user=me, address="me@example.com")
    url = reverse("notifications:method_edit", args=[method.pk])
    response = client.post(url, {"address": "not-an-email"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    method.refresh_from_db()
    assert method.address == "me@example.com"


def test_other_peoples_methods_are_404(client, me):
    other = factories.ContactMethodFactory()
    for name in ["method_edit", "method_delete", "method_test"]:
        url = reverse(f"notifications:{name}", args=[other.pk])
        assert client.post(url, {"address": "x@example.com"}).status_code == 404
    assert client.get(reverse("notifications:method_row", args=[other.pk])).status_code == 404
    assert ContactMethod.objects.filter(pk=other.pk, address=other.address).exists()
    assert not Message.objects.exists()


def test_send_test_queues_a_delivery_and_polls(client, me, django_capture_on_commit_callbacks):
    method = factories.ContactMethodFactory(user=me)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("notifications:method_test", args=[method.pk]), **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sending…" in body and 'hx-trigger="every 2s"' in body
    assert len(callbacks) == 1
    assert method.deliveries.get().message.subject == "Runwell test message"


def test_preferences_saved(client, me):
    email = factories.ContactMethodFactory(user=me)
    hook = factories.ContactMethodFactory(user=me, webhook=True)
    response = client.post(
        reverse("notifications:preferences"),
        {"page": [email.pk, hook.pk], "nag": [email.pk], "swap": [], "report": [hook.pk]},
        **HX,
    )
    assert response.status_code == 200
    off = set(NotificationPreference.objects.filter(enabled=False).values_list("kind", "method_id"))
    assert off == {
        ("nag", hook.pk),
        ("swap", email.pk),
        ("swap", hook.pk),
        ("shift_reminder", email.pk),
        ("shift_reminder", hook.pk),
        ("report", email.pk),
    }


def test_preferences_refuse_other_peoples_methods(client, me):
    factories.ContactMethodFactory(user=me)
    other = factories.ContactMethodFactory()
    response = client.post(reverse("notifications:preferences"), {"page": [other.pk]}, **HX)
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_preferences_bad_input_plain_is_400_with_the_message(client, me):
    mine = factories.ContactMethodFactory(user=me)
    other = factories.ContactMethodFactory()
    response = client.post(reverse("notifications:preferences"), {"page": [mine.pk, other.pk]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose among your own contact methods." in body
    assert 'id="notifications-section"' in body
    assert not NotificationPreference.objects.exists()


def test_preferences_bad_input_htmx_is_a_fragment_with_the_message(client, me):
    factories.ContactMethodFactory(user=me)
    response = client.post(reverse("notifications:preferences"), {"page": ["nope"]}, **HX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<html" not in body and "Choose among your own contact methods." in body
    assert not NotificationPreference.objects.exists()


# ----------------------------------------------------------------------------------- access
ALL_URLS = [
    ("get", "notifications:inbox", False),
    ("get", "notifications:badge", False),
    ("post", "notifications:mark_read", True),
    ("post", "notifications:mark_all_read", False),
    ("post", "notifications:method_add", False),
    ("get", "notifications:method_row", True),
    ("post", "notifications:method_edit", True),
    ("post", "notifications:method_delete", True),
    ("post", "notifications:method_test", True),
    ("post", "notifications:preferences", False),
]


@pytest.mark.parametrize(("verb", "name", "takes_pk"), ALL_URLS)
def test_every_url_sends_anonymous_users_to_login(client, verb, name, takes_pk):
    method = factories.ContactMethodFactory()
    message = factories.MessageFactory(user=method.user)
    pk = message.pk if name == "notifications:mark_read" else method.pk
    url = reverse(name, args=[pk] if takes_pk else [])
    response = getattr(client, verb)(url, {"address": "x@example.com", "channel": "email"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    method.refresh_from_db()
    message.refresh_from_db()
    assert method.address.endswith("@example.com") and method.address != "x@example.com"
    assert message.read_at is None
    assert ContactMethod.objects.count() == 1 and Message.objects.count() == 1
    assert not NotificationPreference.objects.exists()


def test_the_url_list_above_is_complete():
    from portal.notifications.urls import urlpatterns

    assert {f"notifications:{p.name}" for p in urlpatterns} == {name for _, name, _ in ALL_URLS}


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_nobody_touches_someone_elses_methods_or_messages(client, me, headers):
    method = factories.ContactMethodFactory(address="theirs@example.com", label="Theirs")
    message = factories.MessageFactory(user=method.user)
    for name in ["method_edit", "method_delete", "method_test"]:
        url = reverse(f"notifications:{name}", args=[method.pk])
        data = {"address": "mine@example.com", "label": "Mine", "enabled": "on"}
        assert client.post(url, data, **headers).status_code == 404
    url = reverse("notifications:method_row", args=[method.pk])
    assert client.get(url, **headers).status_code == 404
    url = reverse("notifications:mark_read", args=[message.pk])
    assert client.post(url, **headers).status_code == 404
    client.post(reverse("notifications:mark_all_read"), **headers)
    method.refresh_from_db()
    message.refresh_from_db()
    assert (method.address, method.label) == ("theirs@example.com", "Theirs")
    assert message.read_at is None
    assert Message.objects.count() == 1  # no test message was sent to their method
