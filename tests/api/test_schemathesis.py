"""Property-based fuzzing of every API operation with schemathesis, against the live schema.

The schema is loaded from the running application (``/api/v1/schema/``) and every operation
in it is called with a bounded number of generated requests (hypothesis, derandomized so the
run is the same every time), authenticated as a team member and as a team manager. Half the
generated requests name objects that exist (the path parameters are replaced with real ones),
so the successful paths are exercised too, not only 404s. Every response must:

- not be a server error (5xx);
- use a status code, content type and body the schema documents for that operation.

Each operation runs inside a savepoint that is rolled back afterwards (``run_rolled_back`` in
conftest.py), so one operation's writes cannot starve the next of real objects.
"""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application
from tests import factories
from tests.api.conftest import run_rolled_back

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.fuzz]

EXAMPLES_PER_OPERATION = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _known_path_values(world, spare_token) -> dict[str, dict[str, str]]:
    """Real values for path parameters, by the first segment of the operation's path."""
    team = {
        "slug": world.team.slug,
        "team_slug": world.team.slug,
        "username": world.member.username,
    }
    return {
        "teams": team,
        "services": {"slug": world.service.slug},
        "schedules": {
            "id": str(world.schedule.pk),
            "schedule_pk": str(world.schedule.pk),
        },
        "incidents": {"id": str(world.incident.pk)},
        "alerts": {"id": str(world.alert.pk)},
        "integrations": {"id": str(world.integration.pk)},
        "escalation-policies": {"id": str(world.policy.pk), "policy_pk": str(world.policy.pk)},
        "tokens": {"id": str(spare_token.pk)},
        "swap-requests": {"id": str(world.swap.pk)},
        "time-off": {"id": str(world.time_off.pk)},
        "postmortems": {"id": str(world.postmortem.pk)},
        "action-items": {"id": str(world.action_item.pk)},
    }


def _own_objects(world, user) -> tuple[dict[str, dict[str, str]], object]:
    """The fuzzing user's own contact method and inbox message (nobody else's are reachable),
    by the first segment of the path; and a holiday of the team."""
    method = factories.ContactMethodFactory(user=user)
    message = factories.MessageFactory(user=user)
    holiday = factories.HolidayFactory(team=world.team)
    known = {"contact-methods": {"id": str(method.pk)}, "inbox": {"id": str(message.pk)}}
    return known, holiday


def _nested_ids(world, path: str, holiday) -> dict[str, str]:
    if "/holidays/" in path:
        return {"id": str(holiday.pk)}
    if "/layers/" in path:
        return {"id": str(world.layer.pk)}
    if "/overrides/" in path:
        return {"id": str(world.override.pk)}
    if "/steps/{id}" in path:
        return {"id": str(world.step.pk)}
    return {}


def _runner(strategy, label: str, headers: dict, seen: Counter):
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(app=application)
        seen[(label, response.status_code // 100)] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def _fuzz(schema, world, user, token) -> Counter:
    """Run every operation; return how many responses each status class got, per operation."""
    spare = factories.ApiTokenFactory(user=user, name="spare")
    own, holiday = _own_objects(world, user)
    known = {**_known_path_values(world, spare), **own}
    headers = {"Authorization": f"Token {token.raw}"}
    seen: Counter = Counter()
    failures = []

    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        segment = path.removeprefix("/api/v1/").split("/")[0]
        real = {**known.get(segment, {}), **_nested_ids(world, path, holiday)}

        def with_real_objects(case, real=real):
            if case.path_parameters:
                case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
            return case

        strategy = operation.as_strategy()
        strategy = st.one_of(strategy, strategy.map(with_real_objects))

        run = _runner(strategy, operation.label, headers, seen)
        run_rolled_back(operation.label, run, failures)
    assert not failures, "\n\n".join(failures)
    return seen


@pytest.mark.parametrize("role", ["member", "manager"])
def test_every_operation_conforms(world, wsgi_app, unthrottled, role):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    user = getattr(world, role)
    seen = _fuzz(schema, world, user, factories.ApiTokenFactory(user=user))

    labels = {label for label, _ in seen}
    assert len(labels) >= 80, "every operation of the schema ran"
    # Not a run of 401s: the token worked and real objects were found and shown.
    assert seen[("GET /api/v1/teams/", 2)] > 0
    assert seen[("GET /api/v1/incidents/{id}/", 2)] > 0
    assert seen[("GET /api/v1/schedules/{id}/shifts/", 2)] > 0
    assert seen[("GET /api/v1/postmortems/{id}/", 2)] > 0
    assert seen[("GET /api/v1/swap-requests/{id}/", 2)] > 0
    assert seen[("GET /api/v1/contact-methods/{id}/", 2)] > 0
    assert seen[("GET /api/v1/inbox/{id}/", 2)] > 0
    assert seen[("GET /api/v1/teams/{team_slug}/holidays/{id}/", 2)] > 0
    if role == "manager":
        assert seen[("GET /api/v1/escalation-policies/{id}/", 2)] > 0
        assert seen[("PATCH /api/v1/teams/{slug}/", 2)] > 0
