"""Structured logs: with ``LOG_FORMAT=json`` every log record is one JSON object per line.

Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``process``,
``thread_name``; ``exception`` (the formatted traceback) when there is one; and every
``extra={...}`` value the caller passed, so ``logger.info("paged", extra={"incident": 7})``
becomes ``{..., "message": "paged", "incident": 7}``. Values JSON cannot hold are written
with ``str()``. Django's request records carry the request: its method and path are written,
never the object itself, and webhook tokens never (``RedactTokens``, ``redact``).
"""

import json
import logging
import re
from datetime import UTC, datetime

# The secret path segment of the alert webhooks (the integration token). Never logged: access
# and error logs show ``/hooks/alertmanager/<redacted>/``.
_TOKEN_PATH = re.compile(r"(/hooks/(?:alertmanager|generic|heartbeat)/)[^/\s?#\"'<>]+")
REDACTED = "<redacted>"


def redact(text: str) -> str:
    """``text`` with every webhook token replaced by ``<redacted>``."""
    return _TOKEN_PATH.sub(rf"\1{REDACTED}", text) if "/hooks/" in text else text


class RedactTokens(logging.Filter):
    """Takes webhook tokens out of a record's message and traceback (Django's "Not Found:
    /hooks/alertmanager/<token>/", gunicorn's "Error handling request …"). Attached to the
    project's log handler, so it sees every record, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_plain = logging.Formatter()

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    vars(logging.LogRecord("x", logging.INFO, __file__, 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}


def _jsonable(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "thread_name": record.threadName,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or key in entry:
                continue
            if key == "request":
                entry["method"] = getattr(value, "method", None)
                path = getattr(value, "path", None)
                entry["path"] = redact(path) if isinstance(path, str) else path
                continue
            entry[key] = _jsonable(value)
        if record.exc_text:  # set (and redacted) by ``RedactTokens``
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
