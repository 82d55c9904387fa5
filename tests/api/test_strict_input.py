"""The API takes what its schema states and nothing else: JSON types as declared, query
parameters read strictly (no empty values, booleans only as true/false, page sizes 1-200),
text PostgreSQL can store (no NUL, no lone surrogate, in keys too), dates in 1970-2199; and
the schema says so, so a client generated from it does not send what will be refused."""

import json

import pytest

from incidents.models import Integration
from portal.api.schema import NOT_BLANK_PATTERN

pytestmark = pytest.mark.django_db


def _raw(client, method: str, url: str, text: str):
    return client.generic(
        method, url, data=text.encode("utf-8", "surrogatepass"), content_type="application/json"
    )


# ------------------------------------------------------------------ JSON text the database refuses
@pytest.mark.postgres
@pytest.mark.parametrize(
    "severity_map",
    ['{"crit\\u0000cal": 2}', '{"\\ud800": 2}', '{"ok": 2, "\\udfff x": 3}'],
    ids=["nul-key", "lone-high-surrogate", "lone-low-surrogate"],
)
def test_integration_severity_map_keys_must_be_text(api, world, severity_map):
    client = api(world.manager)
    url = f"/api/v1/integrations/{world.integration.pk}/"
    before = Integration.objects.get(pk=world.integration.pk).severity_map

    patched = _raw(client, "PATCH", url, f'{{"severity_map": {severity_map}}}')
    created = _raw(
        client,
        "POST",
        "/api/v1/integrations/",
        f'{{"team": "payments", "kind": "generic", "name": "New", "severity_map": {severity_map}}}',
    )

    for response in (patched, created):
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["severity_map"]
    assert Integration.objects.get(pk=world.integration.pk).severity_map == before
    assert not Integration.objects.filter(name="New").exists()


@pytest.mark.postgres
def test_a_nul_in_a_text_value_is_400_naming_the_field(api, world):
    response = _raw(
        api(world.manager),
        "POST",
        f"/api/v1/teams/{world.team.slug}/holidays/",
        '{"date": "2027-12-25", "name": "Christ\\u0000mas"}',
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


# ------------------------------------------------------------------------------ JSON types
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/rota-preferences/", {"day_before": 0}, "day_before"),
        ("/api/v1/rota-preferences/", {"day_before": "true"}, "day_before"),
        ("/api/v1/rota-preferences/", {"reminder_lead_minutes": "30"}, "reminder_lead_minutes"),
        ("/api/v1/rota-preferences/", {"reminder_lead_minutes": True}, "reminder_lead_minutes"),
        ("/api/v1/profile/", {"display_name": 12}, "display_name"),
        ("/api/v1/profile/", {"work_days": "0"}, "work_days"),
        ("/api/v1/profile/", {"work_days": []}, "work_days"),
    ],
)
def test_json_values_must_have_the_type_the_schema_states(api, world, url, body, field):
    response = api(world.member).patch(url, body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_a_number_is_not_taken_for_a_name(api, world):
    response = api(world.manager).post(
        f"/api/v1/teams/{world.team.slug}/holidays/", {"date": "2027-12-25", "name": 0}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not world.team.holidays.exists()


def test_well_typed_values_still_work(api, world):
    response = api(world.member).patch(
        "/api/v1/rota-preferences/", {"day_before": False, "reminder_lead_minutes": 30}
    )
    assert response.status_code == 200
    assert response.json()["day_before"] is False


# ---------------------------------------------------------------------------- query strings
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/services/?team=", "team"),
        ("/api/v1/alerts/?team=", "team"),
        ("/api/v1/schedules/?team=", "team"),
        ("/api/v1/my-shifts/?start=", "start"),
        ("/api/v1/oncall/?team=payments&at=", "at"),
        ("/api/v1/services/?include_archived=0", "include_archived"),
        ("/api/v1/incidents/?mine=yes", "mine"),
        ("/api/v1/inbox/?unread=1", "unread"),
        ("/api/v1/teams/?page_size=null&page_size=null", "page_size"),
        ("/api/v1/teams/?page_size=0", "page_size"),
        ("/api/v1/teams/?page_size=201", "page_size"),
        ("/api/v1/teams/?page=0", "page"),
        ("/api/v1/teams/?page=1000000001", "page"),
        ("/api/v1/incidents/?page_size=abc", "page_size"),
        ("/api/v1/postmortems/?date_from=9999-12-31", "date_from"),
        ("/api/v1/my-shifts/?start=0001-01-01T00:00:00Z", "start"),
    ],
)
def test_query_parameters_are_read_strictly(api, world, url, field):
    response = api(world.manager).get(url)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_well_formed_query_parameters_still_work(api, world):
    client = api(world.manager)
    assert client.get("/api/v1/services/?include_archived=true&team=payments").status_code == 200
    assert client.get("/api/v1/inbox/?unread=false").status_code == 200
    teams = client.get("/api/v1/teams/?page_size=200&page=1")
    assert teams.status_code == 200
    assert client.get("/api/v1/teams/?page=9").status_code == 404  # past the end


def test_a_time_is_bounded_as_written(api, world):
    """2199-12-31 23:00 at UTC-5 is 2200 in UTC, but the caller wrote 2199: taken."""
    client = api(world.member)
    late = client.get(
        "/api/v1/my-shifts/",
        {"start": "2199-12-30T23:00:00-05:00", "end": "2199-12-31T23:00:00-05:00"},
    )
    assert late.status_code == 200
    too_late = client.get("/api/v1/my-shifts/", {"start": "2200-01-01T00:00:00+05:00"})
    assert too_late.status_code == 400
    assert too_late.json() == {"start": ["Give a time between 1970 and 2200."]}


def test_an_unknown_zone_is_400_naming_the_field(api, world):
    response = api(world.member).patch("/api/v1/profile/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert list(response.json()) == ["time_zone"]


# -------------------------------------------------------------------------------- the schema
@pytest.fixture
def schema(client):
    return json.loads(client.get("/api/v1/schema/?format=json").content)


def test_the_schema_states_the_limits(schema):
    components = schema["components"]["schemas"]
    holiday = components["HolidayCreateRequest"]["properties"]
    assert holiday["date"]["format"] == "date"
    assert holiday["date"]["pattern"] == "^(19[7-9][0-9]|2[01][0-9][0-9])-"
    assert holiday["name"]["pattern"] == NOT_BLANK_PATTERN
    override = components["OverrideCreateRequest"]["properties"]
    assert override["start"]["format"] == "date-time"
    assert override["start"]["pattern"].startswith("^(19[7-9]")
    profile = components["PatchedProfileRequest"]["properties"]
    assert profile["work_days"]["minItems"] == 1
    zone = profile["time_zone"]
    assert "pattern" in zone and "Europe/London" in zone["description"]

    teams = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/teams/"]["get"]["parameters"]}
    assert teams["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert teams["page"] == {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}


def test_every_write_documents_its_400(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete"):
                error = operation["responses"].get("400")
                assert error, f"{method.upper()} {path}"
                assert error["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
