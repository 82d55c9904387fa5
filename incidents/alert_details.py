"""What responders need from an alert, for the incident page and the page's email/chat text:
its description, links (runbook, dashboard, panel, the generator's graph) and labels.

Everything here comes from whoever holds the integration's token, so only ``http(s)``
addresses become links (never ``javascript:`` or ``data:``). Alertmanager alerts carry these
in their annotations (``description``, ``runbook_url``, Grafana's ``__dashboardUrl__`` and
``__panelUrl__``); generic alerts in ``details`` when it is an object.
"""

from incidents.payloads import cut

# (label, annotation keys in order of preference)
LINKS = (
    ("Runbook", ("runbook_url", "runbook")),
    ("Dashboard", ("dashboard_url", "__dashboardUrl__", "dashboard")),
    ("Panel", ("panel_url", "__panelUrl__")),
)
TEXT_ALERTS = 5  # alerts described in a page's text; the incident page has them all
TEXT_DESCRIPTION = 500


def http_url(value) -> str:
    """``value`` when it is an absolute http(s) address, else ""."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    scheme, sep, rest = value.partition(":")
    ok = sep and scheme.lower() in ("http", "https") and rest.startswith("//") and len(rest) > 2
    return value if ok and not any(c in value for c in "\r\n\t ") else ""


def _texts(alert) -> dict:
    if alert.annotations:
        return alert.annotations
    details = alert.payload.get("details") if isinstance(alert.payload, dict) else None
    return details if isinstance(details, dict) else {}


def description(alert) -> str:
    text = _texts(alert).get("description")
    return text if isinstance(text, str) and text.strip() != alert.summary else ""


def links(alert) -> list[tuple[str, str]]:
    """``[(label, url), …]``: runbook, dashboard, panel and the generator's link, those set."""
    texts = _texts(alert)
    found = []
    for label, keys in LINKS:
        url = next((http_url(texts.get(k)) for k in keys if http_url(texts.get(k))), "")
        if url:
            found.append((label, url))
    if source := http_url(alert.source):
        found.append(("Source", source))
    return found


def _one_line(text: str) -> str:
    """Text from outside on one line: a newline in a label value or summary cannot start a
    line of its own (say "Acknowledge or resolve: <url>") in the page's email or chat."""
    return " ".join(str(text).split())


def alerts_text(alerts: list, *, total: int) -> str:
    """Plain text describing ``alerts`` (of ``total``) for a page's email or chat message."""
    # Text from outside never makes a line of its own that reads "Label: <url>" (the inbox
    # turns such lines into buttons): it always follows a label of ours or precedes one.
    lines = []
    for alert in alerts[:TEXT_ALERTS]:
        lines.append(f"* {_one_line(alert.summary)} ({alert.get_status_display().lower()})")
        if text := description(alert):
            lines.append(f"  Description: {cut(' '.join(text.split()), TEXT_DESCRIPTION)}")
        lines.extend(f"  {label}: {url}" for label, url in links(alert))
        if alert.labels:
            pairs = _one_line(", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())))
            lines.append(f"  Labels: {pairs}")
    if total > len(alerts[:TEXT_ALERTS]):
        lines.append(f"… and {total - len(alerts[:TEXT_ALERTS])} more on the incident page.")
    return "\n".join(lines)
