"""LOG_FORMAT=json: one JSON object per log line (portal/logging.py). The setting as a fresh
process reads it: tests/reliability/test_log_format.py."""

import json
import logging
import sys

from portal.logging import JsonFormatter


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
