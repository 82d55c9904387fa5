"""LOG_FORMAT=json: one JSON object per log line (portal/logging.py)."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from portal.logging import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _record(**extra) -> logging.LogRecord:
    logger = logging.getLogger("runwell.test")
    record = logger.makeRecord(
        "runwell.test", logging.WARNING, __file__, 1, "paged %s", ("bob",), None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_becomes_one_json_object_with_its_extras():
    line = JsonFormatter().format(_record(incident=7, labels={"a": 1}, when=object()))
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "runwell.test"
    assert entry["message"] == "paged bob"
    assert entry["incident"] == 7 and entry["labels"] == {"a": 1}
    assert entry["when"].startswith("<object")  # not JSON: written with str()
    assert entry["time"].endswith("+00:00")


def test_exceptions_are_kept_in_one_line():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = _record()
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad" in entry["exception"]


def test_django_request_records_show_method_and_path(rf):
    request = rf.post("/api/v1/teams/")
    entry = json.loads(JsonFormatter().format(_record(request=request, status_code=400)))
    assert entry["method"] == "POST" and entry["path"] == "/api/v1/teams/"
    assert entry["status_code"] == 400 and "request" not in entry


def test_the_setting_switches_the_whole_process_to_json():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('runwell.x').warning('hello', extra={'incident': 3})"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stderr.strip().splitlines()[-1])
    assert entry["message"] == "hello" and entry["incident"] == 3


def test_an_unknown_format_is_refused():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "LOG_FORMAT must be plain or json" in done.stderr
