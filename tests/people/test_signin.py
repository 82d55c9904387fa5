"""Sign-in throttling on /login/ and /admin/login/: failures per account and per address.
Before, 30 wrong passwords in 9 s were accepted, then the right one got in."""

import pytest

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2027-03-14T07:30:00Z")]

LIMITS = {"SIGNIN_RATE_ACCOUNT": (5, 900), "SIGNIN_RATE_ADDRESS": (20, 900)}


@pytest.fixture(autouse=True)
def limits(settings):
    for name, rate in LIMITS.items():
        setattr(settings, name, rate)


def sign_in(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_an_account_is_locked_after_five_failures_even_for_the_right_password(client, clock, url):
    user = factories.UserFactory(is_staff=True)
    for _ in range(5):
        assert sign_in(client, url, user.username, "wrong").status_code in (200, 400)
    refused = sign_in(client, url, user.username, "pw")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    body = refused.content.decode()
    assert "Too many failed sign-ins for this account or from your address" in body
    assert "Try again in 15 minutes." in body
    assert not signed_in(client)

    clock.advance(minutes=14, seconds=59)
    assert sign_in(client, url, user.username, "pw").status_code == 429
    clock.advance(seconds=1)  # the window has passed
    assert sign_in(client, url, user.username, "pw").status_code == 302
    assert signed_in(client)


def test_the_lock_is_per_account(client):
    locked, other = factories.UserFactory(), factories.UserFactory()
    for _ in range(5):
        sign_in(client, "/login/", locked.username, "wrong")
    assert sign_in(client, "/login/", locked.username.upper(), "pw").status_code == 429
    assert sign_in(client, "/login/", other.username, "pw").status_code == 302


def test_an_address_is_locked_after_twenty_failures_across_accounts(client):
    people = [factories.UserFactory() for _ in range(5)]
    for person in people:
        for _ in range(4):  # under the per-account limit each
            assert sign_in(client, "/login/", person.username, "wrong").status_code == 400
    fresh = factories.UserFactory()
    assert sign_in(client, "/login/", fresh.username, "pw").status_code == 429
    # The same person from another address gets in.
    assert (
        sign_in(client, "/login/", fresh.username, "pw", REMOTE_ADDR="10.0.0.9").status_code == 302
    )


def test_only_failures_count(client):
    """Logging in many times (the browser tests do) is never throttled."""
    user = factories.UserFactory()
    for _ in range(30):
        assert sign_in(client, "/login/", user.username, "pw").status_code == 302
        client.logout()
    for _ in range(4):
        sign_in(client, "/login/", user.username, "wrong")
    assert sign_in(client, "/login/", user.username, "pw").status_code == 302


def test_the_address_comes_from_the_proxy_only_when_trusted(client, settings):
    users = [factories.UserFactory() for _ in range(5)]

    def fail_twenty(**extra):
        for person in users:
            for _ in range(4):
                sign_in(client, "/login/", person.username, "wrong", **extra)

    # Not trusted: a forged X-Forwarded-For does not give an attacker new addresses.
    fail_twenty(HTTP_X_FORWARDED_FOR="203.0.113.7")
    fresh = factories.UserFactory()
    spoofed = sign_in(client, "/login/", fresh.username, "pw", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert spoofed.status_code == 429

    # Trusted (behind a proxy): the last entry, the one the proxy appended, is the address.
    settings.TRUST_X_FORWARDED_FOR = True
    client.cookies.clear()
    response = sign_in(
        client, "/login/", fresh.username, "pw", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1"
    )
    assert response.status_code == 302


def test_code_that_signs_in_directly_is_not_throttled(client):
    """``client.login`` (``authenticate`` without a request) and ``force_login`` still work."""
    user = factories.UserFactory()
    for _ in range(6):
        sign_in(client, "/login/", user.username, "wrong")
    assert sign_in(client, "/login/", user.username, "pw").status_code == 429
    assert client.login(username=user.username, password="pw")
    client.logout()
    client.force_login(user)
    assert signed_in(client)
