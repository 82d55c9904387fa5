"""Webhook bodies to alerts: parsing and validating Alertmanager (version 4) and generic JSON
payloads. Pure functions, no ORM: the webhook views call them before anything is stored, so a
bad payload stores nothing.

Every alert becomes an :class:`IncomingAlert` carrying its identity (``dedup_key``: the
Alertmanager fingerprint or the generic ``dedup_key``) and the identity of the incident it
belongs to (``group_key``: the Alertmanager ``groupKey``, or the generic ``dedup_key``).
Unknown extra fields are ignored.
"""

import json
import math
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

MAX_BODY_BYTES = 1024 * 1024
MAX_SUMMARY_LENGTH = 500  # Alert.summary: longer ones are cut, with "…"
MAX_ALERTS = 1000
MAX_DEPTH = 64  # nesting of objects and lists; Alertmanager's payload has 4 levels
MAX_INTEGER_DIGITS = 100
MAX_PATH_SHOWN = 200
STATUSES = ("firing", "resolved")
# Times from outside are bounded as the API's are: wide enough for any real alert, narrow
# enough that nothing downstream overflows (year 9999 in UTC-12 is year 10000 in UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def cut(text: str, limit: int) -> str:
    """``text`` if it fits ``limit`` characters, else its start with "…" (``limit`` in all)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class PayloadError(ValueError):
    """The body cannot be accepted; ``field`` names the offending part ("alerts[2].status")."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        body = {"error": self.message}
        if self.field:
            body["field"] = self.field
        return body


class MediaTypeError(PayloadError):
    """The body is not declared as UTF-8 JSON (the webhook answers 415)."""


def check_content_type(value: str | None) -> None:
    """Webhook bodies are JSON in UTF-8: ``application/json`` or any ``…+json`` type, with no
    ``charset`` or ``charset=utf-8``. Anything else (UTF-16, a form) is refused."""
    media, _, params = (value or "").partition(";")
    media = media.strip().lower()
    if not media:
        raise MediaTypeError(
            "Send the body with Content-Type: application/json.", field="Content-Type"
        )
    kind, _, subtype = media.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        raise MediaTypeError(
            f"The body must be JSON (Content-Type: application/json), not {media[:100]!r}.",
            field="Content-Type",
        )
    for param in params.split(";"):
        name, _, given = param.partition("=")
        if name.strip().lower() == "charset":
            charset = given.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise MediaTypeError(
                    f"The body must be UTF-8 JSON, not charset {charset[:40]!r}.",
                    field="Content-Type",
                )


@dataclass(frozen=True)
class IncomingAlert:
    dedup_key: str
    group_key: str
    status: str
    summary: str
    severity: str = ""  # the raw severity value; the integration maps it to SEV1-4
    source: str = ""
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    payload: dict = field(default_factory=dict)

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    def as_json(self) -> dict:
        """A JSON-ready dict (times as ISO 8601) that :meth:`from_json` turns back into an
        equal alert: how accepted payloads wait in the inbox."""
        data = {name: getattr(self, name) for name in _FIELDS}
        for name in _TIMES:
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "IncomingAlert":
        values = {name: data[name] for name in _FIELDS if name in data}
        for name in _TIMES:
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


_FIELDS = tuple(f.name for f in fields(IncomingAlert))
_TIMES = ("starts_at", "ends_at")


def decode_json(body: bytes) -> dict:
    """The JSON object of a UTF-8 body, refused (``PayloadError``) if it is anything JSON
    allows Python to read but nothing can store or read back: ``NaN`` and ``Infinity``,
    numbers too large for a double (``1e999``) or with more than ``MAX_INTEGER_DIGITS``
    digits, lone surrogates (``"\\ud800"``), NUL characters, nesting deeper than
    ``MAX_DEPTH``. The problem's path is named where it can be."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError(f"The body is larger than {MAX_BODY_BYTES} bytes (1 MiB).")
    if b"\x00" in body:  # never in JSON text; every other character of UTF-16 or UTF-32
        raise PayloadError("The body is not UTF-8 text (it holds NUL bytes: UTF-16?).")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("The body is not UTF-8 text.") from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise PayloadError("The body is empty; send a JSON object.")
    try:
        data = json.loads(
            text, parse_constant=_Refused.constant, parse_float=_float, parse_int=_int
        )
    except json.JSONDecodeError as exc:
        raise PayloadError(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
    except RecursionError as exc:
        where = _too_deep_at(text)
        raise PayloadError(
            f"{where or 'The body'} is nested more than {MAX_DEPTH} levels deep.", field=where
        ) from exc
    if not isinstance(data, dict):
        raise PayloadError("The body must be a JSON object.")
    _check_values(data)
    return data


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


def _too_deep_at(text: str) -> str:
    """The path of the first value nested deeper than ``MAX_DEPTH`` in JSON ``text``, found
    without recursion (the parser ran out of stack on it): ``details[0][0]…``, cut at the
    depth limit like ``_check_values``'s paths."""
    frames: list[list] = []  # [kind, key or index, path]; kind "{" or "["
    last_string = ""
    for token in _TOKEN.finditer(text):
        mark = token[0]
        if mark.startswith('"'):
            last_string = mark[1:-1]
        elif mark == ":" and frames and frames[-1][0] == "{":
            frames[-1][1] = last_string
        elif mark == "," and frames and frames[-1][0] == "[":
            frames[-1][1] += 1
        elif mark in "{[":
            parent = frames[-1] if frames else None
            if parent is None:
                path = ""
            elif parent[0] == "{":
                path = f"{parent[2]}.{parent[1]}" if parent[2] else str(parent[1])
            else:
                path = f"{parent[2]}[{parent[1]}]"
            if len(frames) >= MAX_DEPTH:
                return path
            frames.append([mark, 0 if mark == "[" else "", path])
        elif mark in "}]" and frames:
            frames.pop()
    return ""


class _Refused:
    """Stands for a value the parser read but that cannot be kept; ``_check_values`` finds
    it and names its path."""

    def __init__(self, problem: str):
        self.problem = problem

    @classmethod
    def constant(cls, name: str) -> "_Refused":
        return cls(f"is {name}, which is not a JSON number")


def _float(raw: str):
    value = float(raw)
    return value if math.isfinite(value) else _Refused(f"is a number too large ({raw[:20]})")


def _int(raw: str):
    if len(raw.lstrip("-")) > MAX_INTEGER_DIGITS:
        return _Refused(f"is a number with more than {MAX_INTEGER_DIGITS} digits")
    return int(raw)


def _problem_in(text: str) -> str | None:
    if "\x00" in text:
        # PostgreSQL cannot store U+0000 in text or jsonb; refuse rather than fail later.
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (not Unicode text)"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_values(data: dict) -> None:
    """Raise ``PayloadError`` naming the first value (or key) that cannot be kept."""
    stack = [(data, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        problem = None
        if isinstance(item, _Refused):
            problem = item.problem
        elif isinstance(item, str):
            problem = _problem_in(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                problem = f"is nested more than {MAX_DEPTH} levels deep"
            elif isinstance(item, dict):
                children = []
                for key, child in item.items():
                    path = f"{where}.{key}" if where else key
                    key_problem = _problem_in(key)
                    if key_problem:
                        raise PayloadError(
                            f"A key of {where or 'the body'} {key_problem}.", field=where
                        )
                    children.append((child, path, depth + 1))
                stack.extend(reversed(children))
            else:
                stack.extend(
                    (child, f"{where}[{i}]", depth + 1)
                    for i, child in reversed(list(enumerate(item)))
                )
        if problem:
            shown = where if len(where) <= MAX_PATH_SHOWN else where[:MAX_PATH_SHOWN] + "…"
            raise PayloadError(f"{shown or 'The body'} {problem}.", field=shown)


def _string(data: dict, key: str, where: str, *, required: bool, limit: int = 0) -> str:
    name = f"{where}{key}"
    if key not in data or data[key] is None:
        if required:
            raise PayloadError(f"{name} is required.", field=name)
        return ""
    value = data[key]
    if not isinstance(value, str):
        raise PayloadError(f"{name} must be a string.", field=name)
    value = value.strip()
    if required and not value:
        raise PayloadError(f"{name} must not be empty.", field=name)
    if limit and len(value) > limit:
        raise PayloadError(f"{name} is longer than {limit} characters.", field=name)
    return value


def _status(data: dict, where: str) -> str:
    value = _string(data, "status", where, required=True)
    if value not in STATUSES:
        raise PayloadError(
            f'{where}status must be "firing" or "resolved", not {value!r}.',
            field=f"{where}status",
        )
    return value


def _string_map(data: dict, key: str, where: str, *, required: bool) -> dict[str, str]:
    name = f"{where}{key}"
    if key not in data or data[key] is None:
        if required:
            raise PayloadError(f"{name} is required.", field=name)
        return {}
    value = data[key]
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError(f"{name} must be an object of string values.", field=name)
    return value


def _time(data: dict, key: str, where: str) -> datetime | None:
    raw = _string(data, key, where, required=False)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise PayloadError(
            f"{where}{key} must be an RFC 3339 time, not {raw!r}.", field=f"{where}{key}"
        ) from exc
    if value.tzinfo is None:
        raise PayloadError(f"{where}{key} must carry a time zone.", field=f"{where}{key}")
    if value.year <= 1:  # Alertmanager's "0001-01-01T00:00:00Z" means "not set"
        return None
    if not (EARLIEST.year <= value.year < LATEST.year and EARLIEST <= value < LATEST):
        raise PayloadError(
            f"{where}{key} must be a time between 1970 and 2200, not {raw!r}.",
            field=f"{where}{key}",
        )
    return value


def parse_alertmanager(data: dict) -> list[IncomingAlert]:
    """Alertmanager's webhook payload, version 4."""
    version = data.get("version")
    if version is not None and version != "4":
        raise PayloadError(
            f'Only version "4" of the Alertmanager payload is supported, not {version!r}.',
            field="version",
        )
    # Identities of any length are kept whole (matched by a digest, see ``key_digest``).
    group_key = _string(data, "groupKey", "", required=True)
    _status(data, "")  # the group's status: validated, but each alert carries its own
    alerts = data.get("alerts")
    if alerts is None:
        raise PayloadError("alerts is required.", field="alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts must be a list.", field="alerts")
    if not alerts:
        raise PayloadError("alerts must list at least one alert.", field="alerts")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"alerts lists more than {MAX_ALERTS} alerts.", field="alerts")
    external_url = data.get("externalURL") if isinstance(data.get("externalURL"), str) else ""
    parsed: list[IncomingAlert] = []
    seen: set[str] = set()
    for i, alert in enumerate(alerts):
        where = f"alerts[{i}]."
        if not isinstance(alert, dict):
            raise PayloadError(f"alerts[{i}] must be an object.", field=f"alerts[{i}]")
        status = _status(alert, where)
        fingerprint = _string(alert, "fingerprint", where, required=True)
        labels = _string_map(alert, "labels", where, required=True)
        annotations = _string_map(alert, "annotations", where, required=False)
        starts_at = _time(alert, "startsAt", where)
        ends_at = _time(alert, "endsAt", where)
        generator_url = _string(alert, "generatorURL", where, required=False)
        if fingerprint in seen:
            raise PayloadError(
                f"{where}fingerprint {fingerprint!r} appears twice.", field=f"{where}fingerprint"
            )
        seen.add(fingerprint)
        summary = (
            annotations.get("summary")
            or annotations.get("description")
            or labels.get("alertname")
            or fingerprint
        )
        parsed.append(
            IncomingAlert(
                dedup_key=fingerprint,
                group_key=group_key,
                status=status,
                summary=cut(" ".join(summary.split()), MAX_SUMMARY_LENGTH),
                severity=labels.get("severity", ""),
                source=generator_url or external_url or "",
                labels=labels,
                annotations=annotations,
                starts_at=starts_at,
                ends_at=ends_at if status == "resolved" else None,
                payload=alert,
            )
        )
    return parsed


def parse_generic(data: dict) -> list[IncomingAlert]:
    """``{"summary", "dedup_key", "status": "firing"|"resolved", "severity"?, "details"?,
    "source"?}``."""
    summary = _string(data, "summary", "", required=True)
    dedup_key = _string(data, "dedup_key", "", required=True)
    status = _status(data, "")
    # Any length: an unknown value (however long) maps to the integration's default severity.
    severity = _string(data, "severity", "", required=False)
    source = _string(data, "source", "", required=False)
    details = data.get("details")
    if details is not None and not isinstance(details, dict | str | list):
        raise PayloadError("details must be an object, a list or a string.", field="details")
    return [
        IncomingAlert(
            dedup_key=dedup_key,
            group_key=dedup_key,
            status=status,
            summary=cut(" ".join(summary.split()), MAX_SUMMARY_LENGTH),
            severity=severity,
            source=source,
            payload=data,
        )
    ]


PARSERS = {"alertmanager": parse_alertmanager, "generic": parse_generic}


def parse(kind: str, body: bytes) -> list[IncomingAlert]:
    return PARSERS[kind](decode_json(body))
