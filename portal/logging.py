"""Structured logs: with ``LOG_FORMAT=json`` every log record is one JSON object per line.

Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``process``,
``thread_name``; ``exception`` (the formatted traceback) when there is one; and every
``extra={...}`` value the caller passed, so ``logger.info("paged", extra={"incident": 7})``
becomes ``{..., "message": "paged", "incident": 7}``. Values JSON cannot hold are written
with ``str()``. Django's request records carry the request: its method and path are written,
never the object itself.
"""

import json
import logging
from datetime import UTC, datetime

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
                entry["path"] = getattr(value, "path", None)
                continue
            entry[key] = _jsonable(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
