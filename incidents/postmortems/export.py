"""A postmortem as one Markdown document (the download on its page)."""

from django.utils.text import slugify

from incidents.postmortems.models import Postmortem
from portal.people.names import person_name
from portal.timefmt import in_document


def format_duration(delta) -> str:
    """ "1 d 2 h 5 min", "47 min"; "—" without one."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


def _cell(text: str) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _person(user) -> str:
    return person_name(user, nobody="—")


def filename(postmortem: Postmortem) -> str:
    slug = slugify(postmortem.title)[:60] or "postmortem"
    return f"postmortem-{postmortem.incident_id}-{slug}.md"


def postmortem_markdown(postmortem: Postmortem) -> str:
    """The document; times in the active time zone. Expects ``selectors.postmortem_detail``."""
    pm = postmortem
    lines = [
        f"# Postmortem: {pm.title}",
        "",
        f"- **Incident:** #{pm.incident_id}",
        f"- **Status:** {pm.get_status_display()}"
        + (f" ({in_document(pm.published_at)})" if pm.published_at else ""),
        f"- **Severity:** SEV{pm.severity}",
        f"- **Team:** {pm.team.name}",
        f"- **Services:** {', '.join(s.name for s in pm.services.all()) or '—'}",
        f"- **Started:** {in_document(pm.started_at)}",
        f"- **Acknowledged:** {in_document(pm.acknowledged_at)}",
        f"- **Resolved:** {in_document(pm.resolved_at)}",
        f"- **Duration:** {format_duration(pm.duration)}",
        f"- **People involved:** {', '.join(_person(u) for u in pm.people.all()) or '—'}",
        "",
    ]
    for section in pm.sections.all():
        lines += [f"## {section.title}", "", section.body.strip() or "_Nothing written._", ""]
    lines += ["## Timeline", ""]
    for entry in pm.timeline.all():
        who = f" ({entry.actor_name})" if entry.actor_name else ""
        lines.append(f"- **{in_document(entry.at)}**{who}: {' '.join(entry.text.split())}")
        if entry.annotation.strip():
            lines.append(f"  - _Note:_ {' '.join(entry.annotation.split())}")
    if not pm.timeline.all():
        lines.append("_No entries._")
    lines += ["", "## Action items", ""]
    items = list(pm.action_items.all())
    if items:
        lines += [
            "| Action item | Owner | Due | Priority | Service | Status | Tracker |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in items:
            status = item.get_status_display()
            if item.reason:
                status += f": {item.reason}"
            service = item.service.name if item.service else "—"
            lines.append(
                f"| {_cell(item.title)} | {_cell(_person(item.owner))} | {item.due_date:%Y-%m-%d} "
                f"| {item.get_priority_display()} | {_cell(service)} "
                f"| {_cell(status)} | {_cell(item.tracker_url) or '—'} |"
            )
    else:
        lines.append("_None._")
    return "\n".join(lines).rstrip() + "\n"
