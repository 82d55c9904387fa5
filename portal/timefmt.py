"""How times are written, one formatter per purpose. Times are stored in UTC; each formatter
takes the zone (or the person whose zone it is) to show them in.

- ``on_page``: on the portal's pages and forms, in the viewer's zone: "Wed 9 Dec 16:00".
- ``in_message``: in messages that leave the portal (email, chat, SMS), in the recipient's
  zone and naming it, since the reader may be anywhere: "Wed 9 Dec 16:00 GMT".
- ``in_document``: in exported documents (postmortem Markdown), unambiguous and sortable:
  "2026-12-09 16:00:00 UTC".
"""

from datetime import datetime, tzinfo

from django.utils import timezone


def zone_of(user) -> tzinfo:
    """The person's own zone, from their profile; the portal's default without one."""
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.zone if profile is not None else timezone.get_default_timezone()


def on_page(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def in_message(moment: datetime, user) -> str:
    local = moment.astimezone(zone_of(user))
    return f"{local:%a} {local.day} {local:%b %H:%M %Z}"


def in_document(moment: datetime | None, zone: tzinfo | None = None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(zone or timezone.get_current_timezone()).strftime(
        "%Y-%m-%d %H:%M:%S %Z"
    )
