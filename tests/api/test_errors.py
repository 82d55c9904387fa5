"""API errors are JSON with a message per field, never an HTML page; rate limits answer 429
with Retry-After; the schema and the docs are served by the project itself."""

import re

import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/nothing-here/", "Not found."),
        ("/api/v1/teams", "Not found. Did you mean /api/v1/teams/ ?"),
        ("/api/v2/teams/", "Not found."),
        ("/api/", "Not found."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_urls_are_json_404(api, user, path, detail, method):
    response = getattr(api(user), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


def test_unknown_object_is_json_404(api, user):
    response = api(user).get("/api/v1/teams/no-such-team/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Team matches the given query."}


def test_wrong_method_is_json_405(api, user, team):
    response = api(user).delete(f"/api/v1/teams/{team.slug}/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_bad_input_is_400_with_a_message_per_field(api, manager, team):
    response = api(manager).patch(
        f"/api/v1/teams/{team.slug}/", {"max_consecutive_days": 0, "slug": "not a slug"}
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"max_consecutive_days", "slug"}
    assert all(isinstance(m, list) and m for m in body.values())


def test_a_service_refusal_is_400_next_to_its_field(api, manager, team):
    # The rule lives in the service (a team keeps one manager), not in the serializer.
    response = api(manager).patch(
        f"/api/v1/teams/{team.slug}/members/{manager.username}/", {"role": "member"}
    )
    assert response.status_code == 400
    assert response.json() == {"role": ["A team needs at least one manager."]}


def test_a_refusal_without_a_field_is_a_non_field_error(api, manager, team):
    response = api(manager).delete(f"/api/v1/teams/{team.slug}/members/{manager.username}/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The last manager cannot be removed: make someone else manager first."]
    }


def test_malformed_json_is_400_json(api, user):
    response = api(user).generic(
        "PATCH", "/api/v1/profile/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unsupported_media_type_is_json_415(api, user):
    response = api(user).patch("/api/v1/profile/", "a=b", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["detail"]


def test_rate_limit_is_429_with_retry_after(api, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/min", "anon": "2/min"},
    }
    client = api(user)
    assert [client.get("/api/v1/profile/").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/profile/")
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert "throttled" in limited.json()["detail"].lower()
    # Per user: somebody else is not held up by it.
    assert api(factories.UserFactory()).get("/api/v1/profile/").status_code == 200


def test_anonymous_callers_are_limited_per_address(settings):
    """Only the public schema answers anonymous callers (the rest is 401 at once), and it is
    expensive to build: it is limited per address."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100/min", "anon": "2/min"},
    }
    client = APIClient()
    codes = [client.get("/api/v1/schema/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.urls("tests.api.boom_urls")
def test_an_unexpected_error_is_json_500_and_still_reported(api, user, caplog):
    client = api(user)
    client.raise_request_exception = False
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)
    # The test client (like error reporters) still hears of the exception.
    client.raise_request_exception = True
    with pytest.raises(RuntimeError, match="boom"):
        client.get("/api/v1/boom/")


def test_schema_is_openapi_3_and_public(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/oncall/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_docs_page_uses_assets_served_by_the_project(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "/api/v1/schema/" in page
