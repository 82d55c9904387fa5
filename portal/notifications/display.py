"""How a message reads in the in-app inbox.

A message is written once for every channel, so its body and link are absolute
(``settings.RUNWELL_BASE_URL``): email and chat leave the portal and need them. Inside the
portal, those links must be paths, or they die as soon as the portal runs on another host or
port than the configured one. And the raw text is made for a mail client: times are in UTC.

``inbox_entry`` turns a message into what the inbox shows: labelled buttons for the message's
own link and the action links its sender stored (``Message.links``; never taken from the
body, which may quote what a person wrote: a comment's "Acknowledge or resolve: <url>" line
stays text, its URL a plain link showing itself), links to the portal as paths, and
"2026-12-01 23:14 UTC" in the portal's format in the viewer's zone.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from portal import timefmt
from portal.notifications.models import Message

# What the message's own link is called when its body does not name it, by the page it leads to.
LINK_LABELS = {
    "incidents:respond": "Acknowledge or resolve",
    "incidents:incident_detail": "Open incident",
    "swaps:detail": "Open request",
    "swaps:page": "Open swaps page",
    "oncall:schedule_detail": "Open schedule",
    "oncall:team_schedules": "Open schedules",
    "oncall:my_shifts": "Open my shifts",
    "postmortems:detail": "Open postmortem",
    "postmortems:edit": "Open postmortem",
    "postmortems:action_item": "Open action item",
    "postmortems:my_items": "Open my action items",
    "reports:weekly_review": "Open weekly review",
    "reports:load_review": "Open load review",
    "people:profile": "Open your profile",
    "notifications:inbox": "Open inbox",
}
DEFAULT_LINK_LABEL = "Open"

URL = re.compile(r"https?://[^\s<>\"']+")
UTC_MOMENT = re.compile(r"\b(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(?::\d{2})? UTC\b")


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Part:
    """A piece of the body: plain text, or a link (``href``) whose text is ``text``."""

    text: str
    href: str = ""


@dataclass(frozen=True)
class InboxEntry:
    parts: list[Part]
    links: list[Link]


def in_app_url(url: str) -> str:
    """``url`` as a path when it points at this portal (the host of ``RUNWELL_BASE_URL``),
    so that it works whatever host the portal is reached on; other URLs unchanged."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    base = urlsplit(settings.RUNWELL_BASE_URL)
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return url
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def _link_label(href: str) -> str:
    try:
        name = resolve(urlsplit(href).path).view_name if href.startswith("/") else ""
    except Resolver404:
        name = ""
    return LINK_LABELS.get(name, DEFAULT_LINK_LABEL)


def _local_moment(match: re.Match) -> str:
    """A "YYYY-MM-DD HH:MM UTC" in a message, in the viewer's zone. Bodies quote people's
    text, so a moment that is no real date, or one whose local time falls outside what Python
    can hold (9999-12-31 23:59 UTC east of UTC), stays as written."""
    try:
        moment = datetime.strptime(f"{match[1]} {match[2]}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return timefmt.on_page(moment, timezone.get_current_timezone())
    except (ValueError, OverflowError):
        return match[0]


def _parts(text: str) -> list[Part]:
    parts: list[Part] = []
    position = 0
    for match in URL.finditer(text):
        url = match[0].rstrip(".,;:!?)")
        if match.start() > position:
            parts.append(Part(text[position : match.start()]))
        href = in_app_url(url)
        parts.append(Part(href, href=href))
        position = match.start() + len(url)
    if position < len(text):
        parts.append(Part(text[position:]))
    return parts


def inbox_entry(message: Message) -> InboxEntry:
    links = [
        Link(str(link["label"]), in_app_url(str(link["url"])))
        for link in message.links or []
        if isinstance(link, dict) and link.get("label") and link.get("url")
    ]
    text = re.sub(r"\n{3,}", "\n\n", message.body).strip()
    text = UTC_MOMENT.sub(_local_moment, text)
    if message.url:
        href = in_app_url(message.url)
        if all(link.href != href for link in links):
            # The message's own link leads: callers point it at what to do next.
            links.insert(0, Link(_link_label(href), href))
        else:
            links.sort(key=lambda link: link.href != href)
    return InboxEntry(parts=_parts(text), links=links)
