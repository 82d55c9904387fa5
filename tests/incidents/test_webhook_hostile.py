"""Hostile bodies on the alert webhooks (issue 15): every one is refused with a JSON error
naming the problem and nothing is stored; none answers 503 ("send it again") or a 500; and
the integration token never reaches a log line."""

import io
import json
import logging
from datetime import timedelta

import pytest
from django.test import Client

from incidents.models import Alert, InboxPayload, Incident
from portal.logging import JsonFormatter, RedactTokens, redact
from tests.incidents.conftest import am_alert, am_payload, am_url, generic_url

pytestmark = pytest.mark.django_db

GOOD_GENERIC = '{"summary": "Disk full", "dedup_key": "disk-1", "status": "firing", '


def nothing_stored() -> bool:
    return not (
        InboxPayload.objects.exists() or Alert.objects.exists() or Incident.objects.exists()
    )


def post_raw(client, url: str, body: bytes | str, content_type="application/json"):
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return client.post(url, data=body, content_type=content_type)


# ------------------------------------------------------------------------------ timestamps
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startsAt", "9999-12-31T23:59:59-12:00"),  # year 10000 in UTC
        ("startsAt", "2200-01-01T00:00:00Z"),
        ("startsAt", "1969-12-31T23:59:59Z"),
        ("endsAt", "9999-12-31T23:59:59Z"),
    ],
)
def test_times_out_of_1970_to_2200_are_refused_naming_the_field(client, integration, field, value):
    alert = {**am_alert("aaa", status="resolved"), field: value}
    r = post_raw(client, am_url(integration), json.dumps(am_payload(alert)))
    assert r.status_code == 400
    assert r.json()["field"] == f"alerts[0].{field}"
    assert "1970" in r.json()["error"] and "2200" in r.json()["error"]
    assert nothing_stored()


@pytest.mark.parametrize("value", ["1970-01-01T00:00:00Z", "2199-12-31T23:59:59+00:00"])
def test_times_at_the_bounds_are_accepted(client, integration, value):
    alert = {**am_alert("aaa"), "startsAt": value}
    assert post_raw(client, am_url(integration), json.dumps(am_payload(alert))).status_code == 202


def test_alertmanagers_unset_end_is_still_no_time(client, integration):
    alert = {**am_alert("aaa"), "endsAt": "0001-01-01T00:00:00Z"}
    assert post_raw(client, am_url(integration), json.dumps(am_payload(alert))).status_code == 202


# ---------------------------------------------------------- JSON Python reads, nothing keeps
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (GOOD_GENERIC + '"details": {"v": NaN}}', "details.v", "NaN"),
        (GOOD_GENERIC + '"details": {"v": Infinity}}', "details.v", "Infinity"),
        (GOOD_GENERIC + '"details": {"v": -Infinity}}', "details.v", "Infinity"),
        (GOOD_GENERIC + '"details": {"v": 1e999}}', "details.v", "too large"),
        (GOOD_GENERIC + '"details": {"v": "\\ud800"}}', "details.v", "surrogate"),
        (GOOD_GENERIC + '"details": {"\\udfff": 1}}', "details", "surrogate"),
        (GOOD_GENERIC + '"details": {"v": ' + "9" * 5000 + "}}", "details.v", "digits"),
        (
            GOOD_GENERIC + '"details": ' + "[" * 1000 + "]" * 1000 + "}",
            "details" + "[0]" * 63,
            "nested",
        ),
        (
            GOOD_GENERIC + '"details": ' + "[" * 70 + "]" * 70 + "}",
            "details" + "[0]" * 63,
            "nested",
        ),
    ],
    ids=["nan", "inf", "-inf", "1e999", "surrogate", "surrogate-key", "5000-digits", "deep", "70"],
)
def test_values_json_allows_but_nothing_can_keep_are_refused(client, generic, body, field, words):
    r = post_raw(client, generic_url(generic), body)
    assert r.status_code == 400, r.content[:300]
    assert r["Content-Type"] == "application/json"
    data = r.json()
    assert words in data["error"]
    assert data.get("field", "") == field
    assert nothing_stored()


def test_the_same_on_the_alertmanager_hook(client, integration):
    body = json.dumps(am_payload(am_alert("aaa"))).replace('"truncatedAlerts": 0', '"x": NaN')
    r = post_raw(client, am_url(integration), body)
    assert r.status_code == 400 and r.json()["field"] == "x"
    assert nothing_stored()


def test_ordinary_numbers_are_kept(client, generic):
    body = GOOD_GENERIC + '"details": {"n": 12345678901234567890, "f": -1.5e300, "d": [[1]]}}'
    assert post_raw(client, generic_url(generic), body).status_code == 202


# --------------------------------------------------------------------------- content types
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/vnd.alertmanager+json",
    ],
)
def test_json_content_types_are_accepted(client, generic, content_type):
    body = GOOD_GENERIC + '"details": {}}'
    assert post_raw(client, generic_url(generic), body, content_type).status_code == 202


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-16",
        "application/json; charset=iso-8859-1",
        "",
    ],
)
def test_other_content_types_are_refused_with_415(generic, content_type):
    client = Client()
    body = (GOOD_GENERIC + '"details": {}}').encode()
    extra = {"CONTENT_TYPE": content_type} if content_type else {}
    r = client.generic("POST", generic_url(generic), body, **extra)
    assert r.status_code == 415
    assert r.json()["field"] == "Content-Type"
    assert nothing_stored()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_bodies_are_refused_even_when_labelled_json(client, generic, encoding):
    """``json.loads`` would guess UTF-16 from the bytes; the webhook takes UTF-8 only."""
    body = (GOOD_GENERIC + '"details": {}}').encode(encoding)
    r = post_raw(client, generic_url(generic), body)
    assert r.status_code == 400
    assert "UTF-8" in r.json()["error"]
    assert nothing_stored()


def test_a_utf8_byte_order_mark_is_tolerated(client, generic):
    body = ("\ufeff" + GOOD_GENERIC + '"details": {}}').encode()
    assert post_raw(client, generic_url(generic), body).status_code == 202


# ------------------------------------------------------------------------------ the token in logs
def test_refused_requests_do_not_log_the_token(client, generic, integration, caplog):
    """Django logs every 4xx with its path ("Bad Request: /hooks/generic/<token>/")."""
    caplog.set_level(logging.WARNING)
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.addFilter(RedactTokens())
    logging.getLogger().addHandler(handler)
    try:
        post_raw(client, generic_url(generic), GOOD_GENERIC + '"details": NaN}')
        post_raw(client, generic_url(generic), "{}", "text/plain")
        post_raw(client, "/hooks/alertmanager/not-a-real-token-123/", "{}")
    finally:
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue()
    assert "/hooks/generic/<redacted>/" in written
    assert generic.token not in written and "not-a-real-token-123" not in written


def test_the_projects_log_handler_redacts_tokens():
    from django.conf import settings

    handler = settings.LOGGING["handlers"]["console"]
    assert "redact_tokens" in handler["filters"]
    assert settings.LOGGING["filters"]["redact_tokens"]["()"] == "portal.logging.RedactTokens"


def test_tracebacks_and_json_logs_are_redacted_too():
    token = "s3cr3t-T0ken_value"
    try:
        raise ValueError(f"bad thing at /hooks/alertmanager/{token}/ today")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", None, None
        )
        record.args = (f"/hooks/generic/{token}/",)
        import sys

        record.exc_info = sys.exc_info()

    class Request:
        method = "POST"
        path = f"/hooks/heartbeat/{token}/"

    record.request = Request()
    RedactTokens().filter(record)
    line = JsonFormatter().format(record)
    assert token not in line
    entry = json.loads(line)
    assert entry["message"] == "Internal Server Error: /hooks/generic/<redacted>/"
    assert entry["path"] == "/hooks/heartbeat/<redacted>/"
    assert "/hooks/alertmanager/<redacted>/ today" in entry["exception"]
    plain = logging.Formatter("%(message)s").format(record)
    assert token not in plain


def test_redact_leaves_other_paths_alone():
    assert redact("GET /incidents/12/ 200") == "GET /incidents/12/ 200"
    assert redact('"POST /hooks/generic/abc?x=1 HTTP/1.1"') == (
        '"POST /hooks/generic/<redacted>?x=1 HTTP/1.1"'
    )


def test_gunicorns_access_and_error_logs_are_redacted(tmp_path):
    from gunicorn.config import Config

    from portal.gunicorn_logging import Logger

    token = "gUn1c0rn-token"
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = Logger(config)

    class Response:
        status = "400 Bad Request"
        sent = 10
        headers = ()

    path = f"/hooks/alertmanager/{token}/"
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
    }
    logger.access(Response(), {}, environ, timedelta(milliseconds=5))
    logger.error("Error handling request %s", path)
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert "POST /hooks/alertmanager/<redacted>/ HTTP/1.1" in access
    assert "/hooks/alertmanager/<redacted>/" in error
    assert token not in access + error


def test_gunicorn_uses_the_redacting_logger():
    """``gunicorn.conf.py`` in the project folder, which gunicorn reads by default."""
    from pathlib import Path

    from django.conf import settings

    namespace: dict = {}
    exec((Path(settings.BASE_DIR) / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["logger_class"] == "portal.gunicorn_logging.Logger"
