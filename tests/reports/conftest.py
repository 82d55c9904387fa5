"""A small, hand-computed story for the reports: team Ops over the Easter weekend of 2024, when
Europe/London moved to summer time (Sun 31 Mar, 01:00 UTC), with a person in Asia/Kolkata
(UTC+5:30, no DST), a swap, a weekend and a public holiday (Easter Monday, 1 Apr).

Rota "Primary" (Europe/London): daily shifts handed over at 09:00 London time, ann then raj,
starting Sat 30 Mar. Bea covers 18:00–22:00 UTC of ann's Saturday through an accepted cover
request (the real swap service). Final schedule, in UTC:

=====================  =========================  ====  =====================================
UTC                    who                        h     their local time → class
=====================  =========================  ====  =====================================
Sat 09:00 – Sat 18:00  ann (London)                9    Sat 09–18 GMT: off (weekend)
Sat 18:00 – Sat 22:00  bea (London, covers ann)    4    Sat 18–22 GMT: off (weekend)
Sat 22:00 – Sun 08:00  ann                        10    Sat 22 GMT → Sun 08 BST: sleep 9 h
                                                        (the DST night), Sun 08–09 BST: off 1
Sun 08:00 – Mon 08:00  raj (Kolkata)              24    Sun 13:30–22 IST off 8.5, 22–24 sleep
                                                        2; Mon 00–08 sleep 8, 08–13:30 off 5.5
                                                        (holiday, so not working)
Mon 08:00 – Tue 08:00  ann                        24    Mon 09–22 BST off 13 (holiday), Mon 22
                                                        → Tue 08 sleep 10, Tue 08–09 off 1
Tue 08:00 – Tue 12:00  raj (period ends 12:00)     4    Tue 13:30–17:30 IST: working 4
=====================  =========================  ====  =====================================

Period: Sat 30 Mar 00:00 UTC – Tue 2 Apr 12:00 UTC.

- ann: 43 h = working 0, off 24, sleep 19; weekday 9 (Tue 00–09 BST), weekend 19, holiday 15.
- raj: 28 h = working 4, off 14, sleep 10; weekday 4, weekend 10.5, holiday 13.5.
- bea: 4 h = off 4; weekend 4; covered for others 4 (ann: covered by others 4).
- balance of (43, 28, 4): (28/43 + 4/43 + 4/28) / 3 = 0.29568; shares against an even 25 h:
  ann 1.72 (flagged, > 1.5), raj 1.12, bea 0.16.

Pages (sent notifications of kind "page" about Ops incidents):

- ann: Sat 23:00:00, 23:00:30 and 23:00:59 (one interruption), Sun 02:30 (03:30 BST), Mon 12:00
  (13:00 BST, holiday), Mon 21:30 (22:30 BST) → 4 interruptions, 4 off-hours, 3 in sleep hours
  on the nights of Sat 30 Mar and Mon 1 Apr (two nights within a week: flagged), 4 hours.
- raj: Tue 10:00:00 and 10:00:45 (one), 10:20 and 10:40 → 3 interruptions in working hours, in
  2 local clock hours (15:30 and 15:50 IST are hour 15, 16:10 IST is hour 16), though all in
  one UTC hour.
- Not counted: a page about another team's incident, a shift reminder, a failed page, a page
  before the period.

Incidents of Ops triggered in the period (TTA / TTR in seconds):

- I1 Sat 22:58, acked by ann after 360, resolved after 1920, not actionable; services api.
- I2 Tue 10:00, acked by raj after 120, resolved after 3600, actionable; services api.
- I3 Mon 12:00, acked by ann after 600, resolved after 2400, unanswered; services api, db.
- I4 Mon 21:29, never acked, resolved after 1800, not actionable; services db.

Team TTA [120, 360, 600]: median 360, p90 552. TTR [1800, 1920, 2400, 3600]: median 2160,
p90 3240. ann: 2 acked, median 480, p90 576; raj: 1 acked, 120.
"""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from oncall.swaps import services as swaps
from portal.notifications.models import Kind, Notification
from tests import factories


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


START = utc(2024, 3, 30)
END = utc(2024, 4, 2, 12)
EASTER_MONDAY = date(2024, 4, 1)


def person(team, username, name, zone, role="member", reachable=True):
    user = factories.MembershipFactory(
        team=team, role=role, user__username=username, user__time_zone=zone
    ).user
    user.profile.display_name = name
    user.profile.save(update_fields=["display_name"])
    method = factories.ContactMethodFactory(user=user)
    if not reachable:
        method.broken_at = START
        method.save(update_fields=["broken_at"])
    user.method = method
    return user


def page(user, at, incident, *, status=Notification.Status.SENT, kind=Kind.PAGE):
    message = factories.MessageFactory(
        user=user, kind=kind, incident_id=incident.pk if incident else None
    )
    return factories.NotificationFactory(
        message=message,
        method=user.method,
        status=status,
        sent_at=at if status == Notification.Status.SENT else None,
    )


def incident(team, triggered, *, ack=None, by=None, resolve=None, actionable=None, services=()):
    row = factories.IncidentFactory(
        team=team,
        triggered_at=triggered,
        status="resolved" if resolve is not None else "triggered",
        acknowledged_at=triggered + timedelta(seconds=ack) if ack is not None else None,
        acknowledged_by=by,
        resolved_at=triggered + timedelta(seconds=resolve) if resolve is not None else None,
        actionable=actionable,
    )
    row.services.set(services)
    return row


@pytest.fixture
def story(db):
    team = factories.TeamFactory(name="Ops", slug="ops", max_consecutive_days=7)
    boss = person(team, "boss", "Bo Boss", "Europe/London", role="manager")
    ann = person(team, "ann", "Ann Archer", "Europe/London")
    raj = person(team, "raj", "Raj Rao", "Asia/Kolkata")
    bea = person(team, "bea", "Bea Bell", "Europe/London", reachable=False)
    other_team = factories.TeamFactory(name="Elsewhere", slug="elsewhere")
    factories.HolidayFactory(team=team, date=EASTER_MONDAY, name="Easter Monday")
    factories.HolidayFactory(team=other_team, date=date(2024, 3, 30), name="Not ours")

    schedule = factories.ScheduleFactory(team=team, name="Primary", time_zone="Europe/London")
    factories.LayerFactory(
        schedule=schedule,
        name="Daily",
        position=10,
        shift_unit="days",
        shift_length=1,
        rotation_start=date(2024, 3, 30),
        handoff_time=time(9),
        participants=[ann, raj],
    )
    # Bea covers 18:00–22:00 UTC of ann's Saturday shift, assigned by the manager beforehand.
    swaps.swap_request_create(
        schedule=schedule,
        requester=ann,
        by=boss,
        shift_start=utc(2024, 3, 30, 9),
        shift_end=utc(2024, 3, 31, 8),
        start=utc(2024, 3, 30, 18),
        end=utc(2024, 3, 30, 22),
        target=bea,
        assign=True,
        now=utc(2024, 3, 29, 12),
    )

    api = factories.ServiceFactory(team=team, name="API", slug="api")
    db_service = factories.ServiceFactory(team=team, name="DB", slug="db")
    quiet = factories.ServiceFactory(team=team, name="Quiet", slug="quiet")
    i1 = incident(
        team, utc(2024, 3, 30, 22, 58), ack=360, by=ann, resolve=1920, actionable=False,
        services=[api],
    )  # fmt: skip
    i2 = incident(
        team, utc(2024, 4, 2, 10), ack=120, by=raj, resolve=3600, actionable=True, services=[api]
    )
    i3 = incident(
        team, utc(2024, 4, 1, 12), ack=600, by=ann, resolve=2400, services=[api, db_service]
    )
    i4 = incident(
        team, utc(2024, 4, 1, 21, 29), resolve=1800, actionable=False, services=[db_service]
    )
    before = incident(team, utc(2024, 3, 29, 12), ack=30, by=raj, resolve=60, services=[api])
    theirs = factories.IncidentFactory(team=other_team, triggered_at=utc(2024, 3, 31, 3))

    for alert_incident, names in (
        (i1, ["HighLatency", "HighLatency"]),
        (i2, ["DiskFull"]),
        (i3, ["HighLatency", "HighLatency", None]),
        (i4, ["TargetDown"]),
        (before, ["HighLatency"]),
    ):
        for name in names:
            factories.AlertFactory(
                incident=alert_incident,
                labels={"alertname": name} if name else {},
                summary="Backup failed" if name is None else f"{name} firing",
                received_at=alert_incident.triggered_at,
            )

    for at, about in (
        (utc(2024, 3, 30, 23, 0, 0), i1),
        (utc(2024, 3, 30, 23, 0, 30), i1),
        (utc(2024, 3, 30, 23, 0, 59), i1),
        (utc(2024, 3, 31, 2, 30), i1),
        (utc(2024, 4, 1, 12, 0), i3),
        (utc(2024, 4, 1, 21, 30), i4),
    ):
        page(ann, at, about)
    for at in (
        utc(2024, 4, 2, 10, 0, 0),
        utc(2024, 4, 2, 10, 0, 45),
        utc(2024, 4, 2, 10, 20),
        utc(2024, 4, 2, 10, 40),
    ):
        page(raj, at, i2)
    page(ann, utc(2024, 3, 31, 3, 1), theirs)  # another team's incident
    page(ann, utc(2024, 3, 31, 4), None, kind=Kind.SHIFT_REMINDER)  # not a page
    page(ann, utc(2024, 3, 31, 5), i1, status=Notification.Status.FAILED)  # never delivered
    page(raj, utc(2024, 3, 29, 12, 1), before)  # before the period

    pm = factories.PostmortemFactory(incident=i1)
    factories.ActionItemFactory(
        postmortem=pm, title="Tune HighLatency", owner=ann, service=api, due_date=date(2024, 4, 5)
    )
    factories.ActionItemFactory(
        postmortem=pm, title="Done already", owner=ann, service=api, status="done",
        due_date=date(2024, 4, 5),
    )  # fmt: skip
    return SimpleNamespace(
        team=team, boss=boss, ann=ann, raj=raj, bea=bea, schedule=schedule, other_team=other_team,
        api=api, db=db_service, quiet=quiet, incidents=[i1, i2, i3, i4],
    )  # fmt: skip
