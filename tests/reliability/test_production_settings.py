"""Production settings (DEBUG=false), each read by a fresh process with its environment: the
secret key, secure cookies, the proxy's protocol header, HTTPS redirect and HSTS, /metrics."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_KEY = "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMN"  # 55 characters


# Not inherited: the values under test, and the async-safety switch an earlier test (the
# browser's live server) may have set in this process, which check --deploy reports.
NOT_INHERITED = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}


def _run(code: str, **env) -> subprocess.CompletedProcess:
    base = _environment()
    base |= {"DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_BROKER_URL": "memory://"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=settings.BASE_DIR,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production(code: str, **env) -> subprocess.CompletedProcess:
    return _run(code, **({"DEBUG": "false", "SECRET_KEY": GOOD_KEY} | env))


def _values(code: str, **env) -> list[str]:
    result = _production(code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    "secret",
    ["short-but-not-the-default", "x" * 49 + "y", "ab" * 40],
    ids=["short", "49-characters", "too-few-different-characters"],
)
def test_production_refuses_a_weak_secret_key(secret):
    result = _run("pass", DEBUG="false", SECRET_KEY=secret)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set to a long random value" in result.stderr
    assert "at least 50 characters" in result.stderr


def test_development_accepts_any_key():
    assert _run("pass", DEBUG="true", SECRET_KEY="short").returncode == 0


COOKIE_FLAGS = (
    "from django.conf import settings; "
    "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
)


def _start_settings(**env) -> subprocess.CompletedProcess:
    """DEBUG and the two secure-cookie flags, as a fresh process reads them."""
    return _run(COOKIE_FLAGS, **env)


def _dotenv_sets_secret_key() -> bool:
    path = settings.BASE_DIR / ".env"
    return path.exists() and any(
        line.strip().startswith("SECRET_KEY") for line in path.read_text().splitlines()
    )


@pytest.mark.parametrize("secret", [None, settings.INSECURE_SECRET_KEY], ids=["unset", "default"])
def test_production_refuses_the_default_secret_key(secret):
    if secret is None and _dotenv_sets_secret_key():
        pytest.skip("the project's .env sets SECRET_KEY")
    env = {"DEBUG": "false"} | ({"SECRET_KEY": secret} if secret else {})
    result = _start_settings(**env)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _start_settings(
        DEBUG="false", SECRET_KEY="a-long-random-production-value-1234567890-abcdefghijklmnop"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


def test_development_starts_with_the_default_key():
    result = _start_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"


def test_the_proxy_protocol_header_is_trusted_only_when_configured():
    code = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"
    assert _values(code) == ["None"]
    assert _values(code, TRUST_X_FORWARDED_PROTO="true") == [
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


# An API page (JSON: no static files, which production serves only after collectstatic):
# 301 to HTTPS, or 401 once it is reached.
REQUESTS = (
    "from django.test import Client; c = Client(); "
    "print(c.get('/healthz').status_code, c.get('/metrics').status_code, "
    "c.get('/api/v1/teams/').status_code, "
    "c.get('/api/v1/teams/', headers={'x-forwarded-proto': 'https'}).status_code, "
    "c.get('/healthz', secure=True).get('Strict-Transport-Security'))"
)


def test_production_redirects_to_https_except_health_and_metrics():
    # /metrics answers 403 (no token, no allow-list), not a redirect; a forged
    # X-Forwarded-Proto is not believed; over HTTPS the answer carries HSTS.
    assert _values(REQUESTS) == [
        "200",
        "403",
        "301",
        "301",
        "max-age=31536000;",
        "includeSubDomains;",
        "preload",
    ]


def test_behind_a_trusted_proxy_https_requests_are_served():
    assert _values(REQUESTS, TRUST_X_FORWARDED_PROTO="true")[2:4] == ["301", "401"]


def test_https_redirect_and_hsts_are_configurable():
    values = _values(
        REQUESTS,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="false",
    )
    assert values == ["200", "403", "401", "401", "max-age=3600"]


def test_metrics_allow_list_must_be_addresses():
    result = _production("pass", METRICS_ALLOW_IPS="10.0.0.0/8,not-an-address")
    assert result.returncode != 0
    assert "ImproperlyConfigured: METRICS_ALLOW_IPS" in result.stderr
    code = "from django.conf import settings as s; print(*s.METRICS_ALLOW_IPS)"
    assert _values(code, METRICS_ALLOW_IPS="10.0.0.0/8, 192.0.2.7") == [
        "10.0.0.0/8",
        "192.0.2.7/32",
    ]


def test_check_deploy_has_no_https_or_hsts_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=_environment()
        | {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "CELERY_BROKER_URL": "memory://"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for warning in ("security.W004", "security.W005", "security.W008", "security.W021"):
        assert warning not in output
    assert "System check identified no issues" in output, output


def test_throttle_rates_are_read_and_checked_at_start_up():
    code = (
        "from django.conf import settings as s; "
        "print(s.INCIDENT_DECLARE_RATE, s.SIGNIN_RATE_ACCOUNT, s.SIGNIN_RATE_ADDRESS)"
    )
    values = _values(
        code, INCIDENT_DECLARE_RATE="3/h", SIGNIN_RATE_ACCOUNT="off", SIGNIN_RATE_ADDRESS="50/30min"
    )
    assert values == ["(3,", "3600)", "None", "(50,", "1800)"]
    result = _production("pass", INCIDENT_DECLARE_RATE="lots")
    assert result.returncode != 0
    assert "ImproperlyConfigured: INCIDENT_DECLARE_RATE must read like 5/10min" in result.stderr
