"""Follow-up nags, run by Celery beat (hourly): Runwell keeps asking until the work is done.

- A SEV1/SEV2 incident resolved without a postmortem: once the team's number of business
  days (Mon–Fri, default 2) has passed since resolution, its commander (or, without one, the
  team's managers) is reminded, then once a day until somebody starts the postmortem.
- An open action item past its due date: its owner is reminded once a day; from the 7th day
  overdue the owner's managers are told too. Whatever state the incident is in; closing the
  item (done or won't do) stops it.

"Once a day" is the recipient's own calendar day (their profile's time zone) and is part of
every message's dedup key, so running a tick twice, retries and two beat processes at once
never send a second message on one day.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import Incident
from incidents.postmortems import selectors
from incidents.postmortems.models import ActionItem
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.names import person_name
from portal.people.selectors import managers_of, team_managers
from portal.wording import possessive

User = get_user_model()

MANAGERS_AFTER_DAYS_OVERDUE = 7
BATCH = 500


# ----------------------------------------------------------------------------- business days
def add_business_days(moment: datetime, days: int, zone: ZoneInfo | None = None) -> datetime:
    """``moment`` plus ``days`` business days (Mon–Fri) in ``zone``: Fri 15:00 + 2 is Tue
    15:00. A moment on a weekend counts from the start of the next Monday."""
    zone = zone or timezone.get_default_timezone()
    local = moment.astimezone(zone)
    if local.weekday() >= 5:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime.combine(monday, time(0, 0), tzinfo=zone)
    day = local.date()
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    # Same wall-clock time on the target day (fold/gap resolved by the zone).
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)


def local_today(user, now: datetime) -> date:
    profile = getattr(user, "profile", None)
    zone = profile.zone if profile is not None else timezone.get_default_timezone()
    return now.astimezone(zone).date()


# -------------------------------------------------------------------------- postmortems due
def postmortem_due_at(*, incident: Incident, business_days: int) -> datetime | None:
    if incident.resolved_at is None:
        return None
    return add_business_days(incident.resolved_at, business_days)


def postmortem_reminders_send(*, now: datetime | None = None) -> int:
    """Remind about resolved SEV1/SEV2 incidents still without a postmortem after their due
    time. Returns how many reminders were due (sent now or earlier today)."""
    now = now or timezone.now()
    # Business days are at least one day each: nothing resolved in the last day can be due.
    candidates = list(
        Incident.objects.filter(
            status=Incident.Status.RESOLVED,
            severity__lte=2,
            postmortem__isnull=True,
            resolved_at__lte=now - timedelta(days=1),
        )
        .select_related("team", "commander__profile")
        .order_by("resolved_at", "pk")
    )
    team_settings = selectors.settings_by_team(team_ids=[i.team_id for i in candidates])
    managers_cache: dict[int, list] = {}
    due = 0
    for incident in candidates:
        days = team_settings[incident.team_id].postmortem_due_business_days
        due_at = postmortem_due_at(incident=incident, business_days=days)
        if due_at is None or now < due_at:
            continue
        commander = incident.commander
        if commander is not None and commander.is_active:
            recipients = [commander]
        else:
            if incident.team_id not in managers_cache:
                managers_cache[incident.team_id] = list(
                    team_managers(team=incident.team).select_related("profile")
                )
            recipients = managers_cache[incident.team_id]
        for user in recipients:
            today = local_today(user, now)
            due += 1
            what = f"SEV{incident.severity} incident #{incident.pk} “{incident.title}”"
            if user == commander:
                intro = f"You commanded {what}."
            else:
                intro = f"{what} of {incident.team.name} has no commander; you manage the team."
            notify(
                user=user,
                kind=Kind.NAG,
                dedup_key=f"pm-due:{incident.pk}:{today.isoformat()}:{user.pk}",
                subject=f"Postmortem due: #{incident.pk} {incident.title}",
                body=(
                    f"{intro} It was resolved on {incident.resolved_at:%a %d %b %Y} and still "
                    f"has no postmortem, due {due_at:%a %d %b %Y %H:%M %Z}. Start it from the "
                    "incident page: one click, pre-filled from the incident."
                ),
                url=incident.get_absolute_url(),
                incident_id=incident.pk,
            )
    return due


# ------------------------------------------------------------------------ overdue action items
def _managers_for(item: ActionItem, cache: dict) -> list:
    key = (item.owner_id, item.postmortem.team_id)
    if key not in cache:
        managers = list(managers_of(user=item.owner).select_related("profile"))
        if not managers:  # the owner is in no team with a manager: the postmortem's team's
            managers = list(
                team_managers(team=item.postmortem.team)
                .exclude(pk=item.owner_id)
                .select_related("profile")
            )
        cache[key] = managers
    return cache[key]


def action_item_reminders_send(*, now: datetime | None = None) -> int:
    """Nag owners of overdue open items once a day (and their managers from the 7th day
    overdue). Returns how many messages were due (sent now or earlier today)."""
    now = now or timezone.now()
    # No time zone is more than a day ahead of UTC: anything due today-in-UTC+1 or later
    # cannot be overdue anywhere yet.
    horizon = now.astimezone(ZoneInfo("UTC")).date() + timedelta(days=1)
    qs = (
        ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_date__lt=horizon)
        .select_related("owner__profile", "postmortem__team", "postmortem__incident")
        .order_by("pk")
    )
    managers_cache: dict = {}
    due = 0
    for item in qs.iterator(chunk_size=BATCH):
        owner = item.owner
        owner_today = local_today(owner, now)
        overdue_days = (owner_today - item.due_date).days
        if overdue_days <= 0:
            continue
        pm = item.postmortem
        url = item.get_absolute_url()
        late = f"{overdue_days} day{'s' if overdue_days != 1 else ''} overdue"
        if owner.is_active:
            due += 1
            notify(
                user=owner,
                kind=Kind.NAG,
                dedup_key=f"ai-overdue:{item.pk}:{owner_today.isoformat()}",
                subject=f"Action item {late}: {item.title}",
                body=(
                    f"Your action item “{item.title}” from the postmortem of incident "
                    f"#{pm.incident_id} was due {item.due_date:%a %d %b %Y} ({late}). "
                    "Finish it, move the date, or close it as won't do with a reason."
                ),
                url=url,
                incident_id=pm.incident_id,
            )
        if overdue_days < MANAGERS_AFTER_DAYS_OVERDUE:
            continue
        for manager in _managers_for(item, managers_cache):
            manager_today = local_today(manager, now)
            due += 1
            notify(
                user=manager,
                kind=Kind.NAG,
                dedup_key=f"ai-overdue-mgr:{item.pk}:{manager.pk}:{manager_today.isoformat()}",
                subject=f"{possessive(person_name(owner))} action item is {late}: {item.title}",
                body=(
                    f"“{item.title}”, owned by {person_name(owner)}, from the postmortem of "
                    f"incident #{pm.incident_id} ({pm.team.name}), was due "
                    f"{item.due_date:%a %d %b %Y} and is {late}."
                ),
                url=url,
                incident_id=pm.incident_id,
            )
    return due
