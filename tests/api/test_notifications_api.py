"""Your notifications through the API: contact methods, preferences and the inbox. Only your
own: another person's method or message answers 404 and nothing of theirs is listed."""

import pytest

from portal.notifications.models import (
    ContactMethod,
    Kind,
    Message,
    Notification,
    NotificationPreference,
)
from tests import factories

pytestmark = pytest.mark.django_db

METHODS = "/api/v1/contact-methods/"
PREFS = "/api/v1/notification-preferences/"
INBOX = "/api/v1/inbox/"


@pytest.fixture
def other(db):
    """Someone else, with a contact method and a message of their own."""
    person = factories.UserFactory()
    factories.ContactMethodFactory(user=person, address="other@example.com")
    factories.MessageFactory(user=person, subject="Not yours")
    return person


# -------------------------------------------------------------------------- anonymous
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", METHODS),
        ("post", METHODS),
        ("get", f"{METHODS}1/"),
        ("patch", f"{METHODS}1/"),
        ("delete", f"{METHODS}1/"),
        ("post", f"{METHODS}1/test/"),
        ("get", PREFS),
        ("put", PREFS),
        ("patch", PREFS),
        ("get", INBOX),
        ("get", f"{INBOX}1/"),
        ("post", f"{INBOX}1/read/"),
        ("post", f"{INBOX}read-all/"),
        ("get", f"{INBOX}unread-count/"),
    ],
)
def test_anonymous_gets_401_json(api, method, url):
    response = getattr(api(), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"]


# --------------------------------------------------------------------------- contact methods
def test_list_shows_only_your_methods_with_their_kinds(api, user, other):
    email = factories.ContactMethodFactory(user=user, address="me@example.com", label="Work")
    hook = factories.ContactMethodFactory(
        user=user, webhook=True, address="https://chat.example.com/hooks/SECRET"
    )
    factories.NotificationPreferenceFactory(method=hook, kind=Kind.PAGE, enabled=False)
    body = api(user).get(METHODS).json()
    assert body["count"] == 2  # page-number pagination
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {email.pk, hook.pk}
    assert rows[email.pk]["label"] == "Work"
    assert rows[email.pk]["kinds"] == Kind.values
    assert Kind.PAGE not in rows[hook.pk]["kinds"]
    assert rows[hook.pk]["display_address"] == "https://chat.example.com/…"
    assert rows[hook.pk]["is_working"] is True


def test_add_a_method(api, user):
    response = api(user).post(
        METHODS,
        {"channel": "email", "address": "  me@example.com ", "label": "Phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "me@example.com"
    assert body["kinds"] == Kind.values
    assert ContactMethod.objects.get(pk=body["id"]).user == user


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "email", "address": "not-an-email"}, "address"),
        ({"channel": "chat_webhook", "address": "ftp://chat.example.com/x"}, "address"),
        ({"channel": "sms", "address": "me@example.com"}, "channel"),
        ({"channel": "email"}, "address"),
        ({"address": "me@example.com"}, "channel"),
        ({"channel": "email", "address": "me@example.com", "label": "x" * 81}, "label"),
        ({"channel": "email", "address": "dup@example.com"}, "address"),  # already yours
    ],
    ids=["bad-email", "bad-url", "bad-channel", "no-address", "no-channel", "long-label", "dup"],
)
def test_bad_method_is_400_per_field_and_saves_nothing(api, user, data, field):
    factories.ContactMethodFactory(user=user, address="dup@example.com")
    response = api(user).post(METHODS, data, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert ContactMethod.objects.filter(user=user).count() == 1


def test_edit_a_method(api, user):
    method = factories.ContactMethodFactory(user=user, address="old@example.com")
    method.broken_at = method.last_failure_at = method.created_at
    method.last_error = "550 no such user"
    method.save()
    client = api(user)
    response = client.patch(f"{METHODS}{method.pk}/", {"label": "Home"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "Home"
    assert response.json()["is_working"] is False  # same address: still broken
    # A new address starts afresh.
    response = client.patch(f"{METHODS}{method.pk}/", {"address": "new@example.com"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["address"], body["is_working"], body["last_error"]) == (
        "new@example.com",
        True,
        "",
    )
    # PUT gives every field.
    response = client.put(
        f"{METHODS}{method.pk}/",
        {"address": "new@example.com", "label": "", "enabled": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert client.put(f"{METHODS}{method.pk}/", {"label": "x"}, format="json").status_code == 400


def test_bad_edit_is_400_and_changes_nothing(api, user):
    method = factories.ContactMethodFactory(user=user, address="me@example.com")
    response = api(user).patch(f"{METHODS}{method.pk}/", {"address": "nope"}, format="json")
    assert response.status_code == 400
    assert "address" in response.json()
    method.refresh_from_db()
    assert method.address == "me@example.com"


def test_remove_a_method(api, user):
    method = factories.ContactMethodFactory(user=user)
    assert api(user).delete(f"{METHODS}{method.pk}/").status_code == 204
    assert not ContactMethod.objects.filter(pk=method.pk).exists()


def test_send_a_test_to_one_method(api, user, django_capture_on_commit_callbacks):
    method = factories.ContactMethodFactory(user=user)
    factories.ContactMethodFactory(user=user)  # gets nothing
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(user).post(f"{METHODS}{method.pk}/test/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "report"
    assert [d["method"] for d in body["deliveries"]] == [method.pk]
    assert Notification.objects.get().method == method
    assert len(callbacks) == 1  # the delivery is enqueued when the request commits
    assert Message.objects.filter(user=user, pk=body["id"]).exists()


def test_someone_elses_method_is_404_and_untouched(api, user, other):
    theirs = ContactMethod.objects.get(user=other)
    client = api(user)
    url = f"{METHODS}{theirs.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"label": "mine"}, format="json").status_code == 404
    assert client.put(url, {"address": "a@b.c", "label": "", "enabled": True}).status_code == 404
    assert client.post(f"{url}test/").status_code == 404
    assert client.delete(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.label == "" and not Notification.objects.exists()


# ------------------------------------------------------------------------------ preferences
def test_preferences_default_to_everything_everywhere(api, user):
    a = factories.ContactMethodFactory(user=user)
    b = factories.ContactMethodFactory(user=user)
    body = api(user).get(PREFS).json()
    assert body == {kind: [a.pk, b.pk] for kind in Kind.values}


def test_patch_sets_the_kinds_given(api, user):
    a = factories.ContactMethodFactory(user=user)
    b = factories.ContactMethodFactory(user=user)
    response = api(user).patch(PREFS, {"page": [a.pk], "nag": []}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["page"] == [a.pk]
    assert body["nag"] == []
    assert body["swap"] == [a.pk, b.pk]  # left out: unchanged
    off = set(NotificationPreference.objects.filter(enabled=False).values_list("method", "kind"))
    assert off == {(b.pk, "page"), (a.pk, "nag"), (b.pk, "nag")}


def test_put_needs_every_kind(api, user):
    a = factories.ContactMethodFactory(user=user)
    response = api(user).put(PREFS, {"page": [a.pk]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(Kind.values) - {"page"}
    full = {kind: [] for kind in Kind.values}
    response = api(user).put(PREFS, full, format="json")
    assert response.status_code == 200
    assert response.json() == full


@pytest.mark.parametrize(
    "value",
    [lambda other_pk: [other_pk], lambda other_pk: ["x"], lambda other_pk: 5],
    ids=["someone-elses", "not-an-id", "not-a-list"],
)
def test_bad_preferences_are_400_per_kind_and_change_nothing(api, user, other, value):
    factories.ContactMethodFactory(user=user)
    theirs = ContactMethod.objects.get(user=other)
    response = api(user).patch(PREFS, {"page": value(theirs.pk), "nag": []}, format="json")
    assert response.status_code == 400
    assert "page" in response.json(), response.json()
    assert not NotificationPreference.objects.exists()


# ------------------------------------------------------------------------------------ inbox
def test_inbox_lists_your_messages_newest_first(api, user, other, django_assert_max_num_queries):
    first = factories.MessageFactory(user=user, subject="First")
    second = factories.MessageFactory(user=user, subject="Second")
    for _ in range(3):
        factories.NotificationFactory(
            message=second, method=factories.ContactMethodFactory(user=user)
        )
    client = api(user)
    with django_assert_max_num_queries(8):
        body = client.get(INBOX).json()
    assert [m["id"] for m in body["results"]] == [second.pk, first.pk]
    assert len(body["results"][0]["deliveries"]) == 3
    assert body["results"][1]["deliveries"] == []  # in-app only
    assert body["results"][0]["is_read"] is False


def test_mark_read_one_then_all(api, user, other):
    a = factories.MessageFactory(user=user)
    factories.MessageFactory(user=user)
    factories.MessageFactory(user=user)
    client = api(user)
    assert client.get(f"{INBOX}unread-count/").json() == {"unread": 3}
    response = client.post(f"{INBOX}{a.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.get(f"{INBOX}unread-count/").json() == {"unread": 2}
    unread = client.get(f"{INBOX}?unread=true").json()
    assert a.pk not in [m["id"] for m in unread["results"]] and unread["count"] == 2
    assert client.post(f"{INBOX}read-all/").json() == {"marked": 2}
    assert client.get(f"{INBOX}unread-count/").json() == {"unread": 0}
    # Someone else's message is untouched.
    assert Message.objects.get(user=other).read_at is None


def test_someone_elses_message_is_404(api, user, other):
    theirs = Message.objects.get(user=other)
    client = api(user)
    assert client.get(f"{INBOX}{theirs.pk}/").status_code == 404
    assert client.post(f"{INBOX}{theirs.pk}/read/").status_code == 404
    assert "Not yours" not in client.get(INBOX).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_bad_inbox_filter_is_400(api, user):
    response = api(user).get(f"{INBOX}?unread=maybe")
    assert response.status_code == 400
    assert "unread" in response.json()


def test_preferences_have_one_field_per_kind():
    from portal.notifications.api import PreferencesSerializer

    assert set(PreferencesSerializer().fields) == set(Kind.values)
