"""Personal API tokens: created on the profile page (shown once, stored hashed), revoked
there or through the API; token and session authentication."""

import pytest
from django.test import Client
from django.utils import timezone

from portal.api.models import ApiToken
from portal.api.services import api_token_create, hash_token
from tests import factories

pytestmark = pytest.mark.django_db


def test_profile_page_shows_the_token_section(client, user):
    factories.ApiTokenFactory(user=user, name="terraform")
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert "API tokens" in page
    assert "terraform" in page


def test_create_shows_the_token_once_and_stores_only_its_hash(client, user):
    client.force_login(user)
    response = client.post(
        "/profile/api-tokens/new/", {"name": "terraform"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    page = response.content.decode()
    start = page.index('id="new-api-token">') + len('id="new-api-token">')
    raw = page[start : page.index("</code>", start)]
    assert raw.startswith("rwt_") and len(raw) > 40
    assert token.key_hash == hash_token(raw) and raw not in (token.key_hash, token.prefix)
    assert raw.startswith(token.prefix)
    # Shown once: the profile page afterwards lists the token by name, never the token itself.
    again = client.get("/profile/").content.decode()
    assert "terraform" in again and raw not in again
    # And it works.
    api = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/profile/").json()["username"] == user.username


def test_create_without_javascript_renders_a_page_with_the_token(client, user):
    client.force_login(user)
    response = client.post("/profile/api-tokens/new/", {"name": "bot"})
    assert response.status_code == 200
    assert 'id="new-api-token">rwt_' in response.content.decode()


def test_create_refuses_a_blank_or_duplicate_name(client, user):
    client.force_login(user)
    factories.ApiTokenFactory(user=user, name="bot")
    for name in ("", "bot"):
        response = client.post("/profile/api-tokens/new/", {"name": name}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == 1


def test_revoke_on_the_page_stops_the_token(client, user):
    token = factories.ApiTokenFactory(user=user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.raw}")
    assert api.get("/api/v1/profile/").status_code == 200
    client.force_login(user)
    assert client.post(f"/profile/api-tokens/{token.pk}/revoke/").status_code == 302
    response = api.get("/api/v1/profile/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}


def test_nobody_revokes_someone_elses_token(client, user):
    other = factories.ApiTokenFactory()
    client.force_login(user)
    assert client.post(f"/profile/api-tokens/{other.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_token_pages_need_login_and_post(client, user):
    assert client.post("/profile/api-tokens/new/", {"name": "x"}).status_code == 302
    client.force_login(user)
    assert client.get("/profile/api-tokens/new/").status_code == 405


def test_tokens_resource_lists_and_revokes_only_your_own(api, user):
    client = api(user)  # authenticates with a token of its own
    mine = factories.ApiTokenFactory(user=user, name="mine")
    theirs = factories.ApiTokenFactory(name="theirs")
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert len(listed) == 2 and "mine" in {t["name"] for t in listed}
    assert set(listed[0]) == {"id", "name", "prefix", "created_at", "last_used_at"}
    assert client.get(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{mine.pk}/").status_code == 204
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_last_used_is_recorded(api, user):
    client = api(user)
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is None
    client.get("/api/v1/profile/")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at <= timezone.now()


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Token rwt_nope", "Token not-a-runwell-token", "Token r\u00e9"],
)
def test_bad_tokens_get_401_json(header, user):
    factories.ApiTokenFactory(user=user)
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/teams/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json()["detail"]


def test_a_deactivated_persons_token_stops_working(api, user):
    client = api(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/profile/").status_code == 401


def test_anonymous_gets_401_json(client):
    response = client.get("/api/v1/teams/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_session_auth_reads_and_needs_csrf_to_write(user, team):
    factories.MembershipFactory(user=user, team=team, role="manager")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/teams/").status_code == 200
    refused = browser.patch(
        f"/api/v1/teams/{team.slug}/", {"description": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/profile/")  # sets the CSRF cookie, as any page does
    csrf = browser.cookies["csrftoken"].value
    allowed = browser.patch(
        f"/api/v1/teams/{team.slug}/",
        {"description": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert allowed.status_code == 200


def test_token_auth_needs_no_csrf(user, team):
    factories.MembershipFactory(user=user, team=team, role="manager")
    _, raw = api_token_create(user=user, name="ci")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.patch(
        f"/api/v1/teams/{team.slug}/", {"description": "y"}, content_type="application/json"
    )
    assert response.status_code == 200
