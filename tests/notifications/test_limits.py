"""Contact methods are capped per person, and "Send test" is rate-limited per person and per
address (issue 15: 100 methods added in 5.5 s; tests to any address with a chosen label, a way
to flood a third party). The page shows the error in place, the API answers 400 / 429."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.notifications import methods
from portal.notifications.models import ContactMethod, Message
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
METHODS = "/api/v1/contact-methods/"


@pytest.fixture
def limits(settings):
    settings.CONTACT_METHODS_MAX = 3
    settings.CONTACT_TESTS_PER_PERSON = 3
    settings.CONTACT_TESTS_PER_ADDRESS = 2


@pytest.fixture
def me(client, user):
    client.force_login(user)
    return user


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.ApiTokenFactory(user=user).raw}")
    return client


def _tests(user) -> int:
    return Message.objects.filter(user=user, dedup_key__startswith="test:").count()


# ---------------------------------------------------------------------------------- the cap
def test_the_default_cap_is_twenty(settings):
    assert settings.CONTACT_METHODS_MAX == 20


def test_the_page_refuses_a_method_beyond_the_cap(client, me, limits):
    url = reverse("notifications:method_add")
    for n in range(3):
        response = client.post(url, {"channel": "email", "address": f"me{n}@example.com"}, **HX)
        assert response.status_code == 200
    response = client.post(url, {"channel": "email", "address": "me3@example.com"}, **HX)
    assert response.status_code == 400
    assert "You have 3 contact methods, the most allowed." in response.content.decode()
    response = client.post(url, {"channel": "email", "address": "me3@example.com"})
    assert response.status_code == 400 and "the most allowed" in response.content.decode()
    assert ContactMethod.objects.filter(user=me).count() == 3


def test_the_api_refuses_a_method_beyond_the_cap(user, limits):
    api = _api(user)
    for n in range(3):
        response = api.post(METHODS, {"channel": "email", "address": f"me{n}@example.com"})
        assert response.status_code == 201
    response = api.post(METHODS, {"channel": "email", "address": "me3@example.com"})
    assert response.status_code == 400
    assert "the most allowed" in response.json()["non_field_errors"][0]
    assert ContactMethod.objects.filter(user=user).count() == 3


def test_the_cap_is_per_person_and_frees_up_on_removal(user, limits):
    factories.ContactMethodFactory.create_batch(3, user=factories.UserFactory())
    first = [
        methods.contact_method_create(user=user, channel="email", address=f"me{n}@example.com")
        for n in range(3)
    ]
    methods.contact_method_delete(method=first[0])
    methods.contact_method_create(user=user, channel="email", address="again@example.com")
    assert ContactMethod.objects.filter(user=user).count() == 3


# ----------------------------------------------------------------------------- test sends
@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_tests_per_person_are_limited_with_retry_after(user, limits, clock):
    api = _api(user)
    mine = factories.ContactMethodFactory.create_batch(3, user=user)
    for method in mine:
        assert api.post(f"{METHODS}{method.pk}/test/").status_code == 202
        clock.advance(minutes=1)
    extra = factories.ContactMethodFactory(user=user)
    response = api.post(f"{METHODS}{extra.pk}/test/")
    assert response.status_code == 429
    assert "at most 3 in 10 minutes" in response.json()["detail"]
    # The first test was at 07:30; it is 07:33, so a slot opens at 07:40.
    assert response["Retry-After"] == str(7 * 60)
    assert _tests(user) == 3

    clock.advance(minutes=7)
    assert api.post(f"{METHODS}{extra.pk}/test/").status_code == 202
    assert _tests(user) == 4


@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_tests_to_one_address_are_limited_whoever_sends_them(limits, clock):
    """Several accounts taking turns cannot flood one mailbox: the limit is per address (in
    any spelling of its case)."""
    people = factories.UserFactory.create_batch(3)
    victim = ["Victim@Example.com", "victim@example.com", "VICTIM@example.com"]
    hooks = [
        factories.ContactMethodFactory(user=p, address=a)
        for p, a in zip(people, victim, strict=True)
    ]
    for hook in hooks[:2]:
        methods.contact_method_send_test(method=hook)
        clock.advance(seconds=30)
    with pytest.raises(methods.TestThrottled, match="to this address: at most 2"):
        methods.contact_method_send_test(method=hooks[2])
    # Each of them may still test another address of their own.
    own = factories.ContactMethodFactory(user=people[2], address="me@example.com")
    methods.contact_method_send_test(method=own)


@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_the_page_shows_the_limit_in_the_method_row(client, me, limits, clock):
    method = factories.ContactMethodFactory(user=me)
    url = reverse("notifications:method_test", args=[method.pk])
    for _ in range(2):
        assert client.post(url, **HX).status_code == 200
        clock.advance(minutes=1)
    response = client.post(url, **HX)
    assert response.status_code == 429 and response["Retry-After"] == str(8 * 60)
    body = response.content.decode()
    assert f'id="method-{method.pk}"' in body
    assert "Too many test messages to this address" in body and 'role="alert"' in body
    # Without htmx: back to the profile, with the message.
    response = client.post(url, follow=True)
    assert "Too many test messages" in response.content.decode()
    assert _tests(me) == 2
