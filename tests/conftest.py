"""Shared fixtures. Tests that need a real PostgreSQL or Redis are marked ``postgres`` or
``redis``: without the server they skip with the reason, and with RUNWELL_REQUIRE_SERVICES=1
(as in CI) they fail instead."""

import os

import pytest
from django.core.cache import cache
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import factories
from tests.clock import Clock

REQUIRE_SERVICES = os.environ.get("RUNWELL_REQUIRE_SERVICES") == "1"

# Property tests check correctness; speed lives in benchmarks. On a busy machine (the calendar
# sweep runs two suites at once) generating or running an example can be slow, which must not
# fail a test: no per-example deadline, no "too slow" health check.
hypothesis_settings.register_profile(
    "runwell", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("runwell")


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (RUNWELL_REQUIRE_SERVICES=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def pytest_collection_modifyitems(config, items):
    """Everything under ``tests/reliability/`` is marked ``reliability`` (the calendar sweep
    leaves process-level scenarios out)."""
    for item in items:
        if "reliability" in item.path.parts and item.path.parts.index("reliability") > 0:
            item.add_marker(pytest.mark.reliability)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis"):
        url = redis_url()
        if not url:
            _missing("needs Redis: set REDIS_URL=redis://…")
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            _missing(f"Redis at {url} does not answer: {exc}")


@pytest.fixture
def clock(request):
    """Pins the process clock (see ``tests/clock.py``). With ``@pytest.mark.clock(instant)``
    the clock is frozen there before any other fixture of the test builds data."""
    pinned = Clock()
    marker = request.node.get_closest_marker("clock")
    if marker:
        pinned.freeze(marker.args[0])
    yield pinned
    pinned.stop()


@pytest.fixture(autouse=True)
def _pinned_by_marker(request):
    """A test marked ``clock`` is frozen before its other fixtures run, whether or not it asks
    for the fixture by name (autouse fixtures come first)."""
    if request.node.get_closest_marker("clock"):
        request.getfixturevalue("clock")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs about half a second per password: tests (and their live servers) use MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters (declarations, sign-in failures per account and per address, all
    from 127.0.0.1 here) live in the cache, which outlives a test: each starts with none."""
    cache.clear()


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def team(db):
    return factories.TeamFactory()


@pytest.fixture
def manager(team):
    return factories.MembershipFactory(team=team, role="manager").user


@pytest.fixture
def member(team):
    return factories.MembershipFactory(team=team, role="member").user


@pytest.fixture
def outsider(db):
    return factories.UserFactory()


@pytest.fixture
def staff(db):
    return factories.UserFactory(is_staff=True)


@pytest.fixture
def service(team):
    return factories.ServiceFactory(team=team)


# Three members of ``team`` by name, for rota tests (handoffs read alice → bob → carol).
@pytest.fixture
def alice(team):
    return factories.MembershipFactory(team=team, user__username="alice").user


@pytest.fixture
def bob(team):
    return factories.MembershipFactory(team=team, user__username="bob").user


@pytest.fixture
def carol(team):
    return factories.MembershipFactory(team=team, user__username="carol").user
