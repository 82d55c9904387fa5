"""The API against its own schema, as `schemathesis run --checks all` tests it, in-process:
every check and every phase (the schema's examples, coverage of each constraint's edges,
fuzzing with valid and invalid data, and the stateful phase that chains calls through the
links schemathesis infers), a fixed seed and a bounded budget.

It fails on any server error, any response the schema does not describe, any request the
schema forbids that the API accepts, and any request the schema allows that the API refuses
for a reason the schema could have stated (a date's bounds, a zone's name, a blank text).
Rules no OpenAPI schema can state (that a named object exists, that a name is unique, that an
end comes after its start, that an incident is still open) are documented 400 answers of every
operation; :data:`UNSTATABLE_RULES` lists them, and such a 400 is not a failure.

Each operation runs in a savepoint rolled back afterwards (``run_rolled_back`` in conftest.py,
as in ``test_schemathesis.py``), so one operation's writes cannot starve the next; the
stateful phase runs last.
"""

import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests import factories
from tests.api.conftest import run_rolled_back

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.fuzz, pytest.mark.timeout(600)]

SEED = 20270314
MAX_EXAMPLES = 3
STATEFUL_SCENARIOS = 20
STATEFUL_STEPS = 6

# Why a request the schema allows may still be refused: each pattern is one kind of rule an
# OpenAPI 3.0 schema has no keyword for, matched against the 400's messages.
UNSTATABLE_RULES = {
    "a named object must exist (a zone must be in the server's zone database)": (
        r"does not exist|^No such |^No active user called |^You have no |not a member|"
        r"^Not one of |is not on |^Unknown time zone "
    ),
    "uniqueness": r"already (has|exists|have|took|is)|^You already|with this .* already exists",
    "order of two fields": (
        r"must (end )?(be )?after|cannot be before|after (it )?starts?|before it ends|"
        r"cannot start and end|^Give exactly one of|needs at least one|at most \d+ days|"
        r"^Name an affected service, or choose a team"
    ),
    "relative to now": r"in the (past|future)",
    "the object's state": (
        r"already resolved|cannot be escalated|^Only a request|was reverted|take it out of|"
        r"^This request|is archived|no longer|^You cannot|^Nobody|so it cannot be deleted"
    ),
    "the address must suit the contact method's channel": (
        r"^Enter a valid (email address|URL)|^Enter an http\(s\):// webhook URL"
    ),
}
_UNSTATABLE = re.compile("|".join(f"(?:{p})" for p in UNSTATABLE_RULES.values()))


def _messages(body) -> list[str]:
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [m for value in body.values() for m in _messages(value)]
    if isinstance(body, list):
        return [m for value in body for m in _messages(value)]
    return [str(body)]


class RefusedValidData(Failure):
    """A request the schema allows was refused for a reason the schema does not state."""

    def __init__(self, *, operation: str, messages: list[str]) -> None:
        self.operation = operation
        self.title = "Schema-valid request refused by a rule the schema could state"
        self.message = "Refused with: " + "; ".join(messages)[:500]
        self.code = "refused_valid_data"
        self.case_id = None
        self.severity = None

    @property
    def _unique_key(self):
        return self.message


@schemathesis.check
def positive_data_acceptance_or_documented_400(ctx, response, case):
    """Schemathesis's ``positive_data_acceptance``, except that a 400 whose every message is a
    rule of :data:`UNSTATABLE_RULES` is what the schema documents for that operation."""
    if response.status_code == 400:
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive:
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            body = response.text
        refused = [m for m in _messages(body) if not _UNSTATABLE.search(m)]
        if refused:
            raise RefusedValidData(operation=case.operation.label, messages=refused)
        return None
    return positive_data_acceptance(ctx, response, case)


def _config(token: str) -> SchemathesisConfig:
    """What `schemathesis run --checks all --seed … --max-examples …` would use, with the
    acceptance check above in place of the stock one."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # the same run every time, and no files left behind
            "headers": {"Authorization": f"Token {token}"},
            # NUL in text is refused as the schema's description says (PostgreSQL cannot store
            # it); JSON Schema has no keyword for it, so the fuzzer does not send it
            # (test_strict_input.py covers it).
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "allow-x00": False},
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "positive_data_acceptance_or_documented_400": {"enabled": True},
            },
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        }
    )


def _check(case):
    response = case.call()
    case.validate_response(response)


def _stateless(schema, failures: list[str]) -> int:
    config = schema.config
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        test = build_operation_test(
            config=config,
            operation=operation,
            test_func=_check,
            given_kwargs={},
            feedback=FeedbackSources(),
        )
        run_rolled_back(operation.label, test, failures)
        operations += 1
    return operations


def _stateful(schema, failures: list[str]) -> None:
    machine = schema.as_state_machine()
    settings = hypothesis_settings(
        max_examples=STATEFUL_SCENARIOS,
        stateful_step_count=STATEFUL_STEPS,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    run_rolled_back("stateful", lambda: machine.run(settings=settings), failures)


def test_the_api_conforms_to_its_schema(world, wsgi_app, unthrottled):
    token = factories.ApiTokenFactory(user=world.manager)
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", wsgi_app, config=_config(token.raw)
    )
    failures: list[str] = []
    operations = _stateless(schema, failures)
    _stateful(schema, failures)
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert operations >= 100, "every operation of the schema ran"
