"""The demo's history of alerts and pages (``incidents.demo``): incidents clustered at night
and at weekends, each with its alerts, its timeline and the pages it caused (inbox messages and
delivered notifications, paged to the person really on call at the time), written with
``bulk_create`` and sending nothing. Recognised by its ``demo-history`` group keys, so it is
written once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection

from incidents.demo_setup import ensure_integrations, ensure_policies
from incidents.models import (
    Alert,
    DigestField,
    Incident,
    IncidentEvent,
    key_digest,
)
from oncall import engine
from oncall.models import Schedule
from oncall.selectors import load_schedules
from portal.catalog.models import Service
from portal.notifications.models import Channel, Kind, Message, Notification
from portal.people.models import Membership, Team

User = get_user_model()

HISTORY_KEY = "demo-history"
ALERT_NAMES = [
    ("HighErrorRate", "5xx ratio above 2% for 5 minutes"),
    ("HighLatency", "p99 latency above 1.5 s"),
    ("PodCrashLooping", "Pod restarting repeatedly"),
    ("DiskWillFillIn4Hours", "Disk predicted to fill within 4 hours"),
    ("CertificateExpiry", "TLS certificate expires in under 7 days"),
    ("KafkaConsumerLag", "Consumer lag above 100k messages"),
    ("ReplicationLag", "Replica more than 30 s behind"),
    ("JobFailed", "Nightly batch job failed"),
    ("TargetDown", "Scrape target down"),
    ("MemoryPressure", "Container memory above 90%"),
]
# Night (batch jobs, backups, certificate renewals) and working-hours (deploys) peaks.
HOUR_WEIGHTS = [
    2.2, 2.6, 2.8, 2.4, 1.8, 1.2, 0.8, 0.7, 0.9, 1.2, 1.4, 1.3,
    1.1, 1.3, 1.4, 1.3, 1.1, 0.9, 0.7, 0.6, 0.6, 0.8, 1.2, 1.7,
]  # fmt: skip
WEEKDAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.1, 1.5, 1.4]  # Sat and Sun cluster


def _event(**row) -> dict:
    return {"actor_id": None, "target_id": None, "due_at": None, "lag_ms": None, "data": {}, **row}


def _insert(model, rows: list[dict], batch: int = 5000) -> None:
    """Insert plain rows (attname → value; missing fields take their defaults) with one
    ``executemany`` per batch on the raw DB-API cursor: at fifty thousand rows the ORM's
    per-object cost, and DEBUG's query logging, would take most of a minute."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    sqlite = connection.vendor == "sqlite"

    def adapter(field):
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            if sqlite:  # stored as naive UTC text, as Django's SQLite backend does
                return lambda v: str(v.astimezone(UTC).replace(tzinfo=None))
            return None
        if kind == "JSONField":
            return lambda v: connection.ops.adapt_json_value(v, None)
        return None

    plan = []
    for f in fields:
        default = None if f.null and not f.has_default() else f.get_default()
        plan.append((f.attname, default, adapter(f)))
    digests = {f.attname: f.source for f in fields if isinstance(f, DigestField)}
    mark = "?" if sqlite else "%s"
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join([mark] * len(fields))})"
    )
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        for i in range(0, len(rows), batch):
            values = []
            for row in rows[i : i + batch]:
                out = []
                for name, default, adapt in plan:
                    v = row.get(name, default)
                    if name in digests:  # what ``DigestField.pre_save`` does for the ORM
                        v = key_digest(row.get(digests[name]) or "")
                    out.append(adapt(v) if adapt is not None and v is not None else v)
                values.append(out)
            cursor.executemany(sql, values)
    finally:
        cursor.close()


class _Rotas:
    """Who was on call for each team's first two rotas over the history window, from the
    schedule engine (overrides and layer versions included), answerable by binary search."""

    def __init__(self, teams: list[Team], start: datetime, end: datetime):
        self.by_team: dict[int, list[tuple[list[datetime], list]]] = defaultdict(list)
        schedules = list(Schedule.objects.filter(team__in=teams).order_by("name", "pk"))
        loaded = load_schedules(schedules=schedules, start=start, end=end)
        for schedule in schedules:
            if len(self.by_team[schedule.team_id]) >= 2:
                continue
            intervals = engine.final_schedule(
                loaded.engine_layers(schedule.pk),
                loaded.engine_overrides(schedule.pk),
                start,
                end,
            )
            self.by_team[schedule.team_id].append(([i.start for i in intervals], intervals))

    def at(self, team_id: int, level: int, at: datetime) -> int | None:
        rotas = self.by_team.get(team_id, [])
        if level >= len(rotas):
            return None
        starts, intervals = rotas[level]
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and intervals[i].start <= at < intervals[i].end:
            return intervals[i].user
        return None


def _slot_weights(start: datetime, days: int) -> list[float]:
    return [
        WEEKDAY_WEIGHTS[(start + timedelta(days=d)).weekday()] * HOUR_WEIGHTS[h]
        for d in range(days)
        for h in range(24)
    ]


def history(teams: list[Team], *, days: int, count: int, mean_alerts: int, rng, now, run: str):
    """History for the teams that have none yet; ``count`` is scaled to their share."""
    done = set(
        Incident.objects.filter(group_key__startswith=f"{HISTORY_KEY}:").values_list(
            "team_id", flat=True
        )
    )
    fresh = [t for t in teams if t.pk not in done]
    if not fresh:
        return 0, 0
    count = max(1, round(count * len(fresh) / len(teams)))
    teams = fresh
    # Whole UTC days ending yesterday at midnight, so every history incident is over by now.
    end = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    integrations = ensure_integrations(teams, demo_tokens=False)
    policies = ensure_policies(teams)
    rotas = _Rotas(teams, start, end)
    members = defaultdict(list)
    managers = defaultdict(list)
    for m in Membership.objects.filter(team__in=teams).order_by("pk"):
        members[m.team_id].append(m.user_id)
        if m.role == Membership.Role.MANAGER:
            managers[m.team_id].append(m.user_id)
    services_of = defaultdict(list)
    for s in Service.objects.filter(team__in=teams, archived_at__isnull=True).order_by("pk"):
        services_of[s.team_id].append(s.pk)
    teams = [t for t in teams if members[t.pk]]
    if not teams:
        return 0, 0

    # Some teams are much noisier than others, and noisier teams page for less reason.
    team_weight = [min(rng.paretovariate(1.3), 12.0) for _ in teams]
    noise = {t.pk: rng.uniform(0.1, 0.6) for t in teams}
    slots = rng.choices(range(days * 24), weights=_slot_weights(start, days), k=count)
    owners = rng.choices(teams, weights=team_weight, k=count)

    plans = []
    for n, (slot, team) in enumerate(sorted(zip(slots, owners, strict=True), key=lambda p: p[0])):
        at = start + timedelta(hours=slot, seconds=rng.randrange(3600))
        night = at.hour < 6 or at.hour >= 22
        plan = _Plan(
            n=n,
            team=team,
            at=at,
            alert=rng.choice(ALERT_NAMES),
            severity=rng.choices([1, 2, 3, 4], weights=[3, 22, 50, 25])[0],
            actionable=rng.random() > noise[team.pk] * (1.4 if night else 1.0),
            acked=rng.random() < 0.88,
            ack_after=timedelta(seconds=int(rng.lognormvariate(5.3, 0.8))),  # ~3 min median
            alerts=max(1, min(200, int(rng.expovariate(1 / (mean_alerts - 0.5))) + 1)),
        )
        plan.resolve_after = plan.ack_after + timedelta(
            minutes=min(int(rng.lognormvariate(3.4, 0.9)), 900)
        )
        # Step 1 pages the rota's on-call person at once; step 2 (the second rota, else a
        # manager) five minutes later if nobody acknowledged by then.
        plan.paged.append((1, at, rotas.at(team.pk, 0, at) or rng.choice(members[team.pk])))
        if not plan.acked or plan.ack_after > timedelta(minutes=5):
            second_at = at + timedelta(minutes=5)
            second = rotas.at(team.pk, 1, second_at) or (
                rng.choice(managers[team.pk]) if managers[team.pk] else None
            )
            if second is not None:
                plan.paged.append((2, second_at, second))
        if plan.acked:
            plan.responder = plan.paged[-1][2]
        plans.append(plan)

    _insert(Incident, [p.incident_row(integrations, policies, run) for p in plans])
    incidents = {
        int(key.rsplit(":", 1)[1]): pk
        for pk, key in Incident.objects.filter(
            group_key__startswith=f"{HISTORY_KEY}:{run}:", team__in=teams
        ).values_list("pk", "group_key")
    }

    links, alert_rows, events, messages, pages = [], [], [], [], []
    ServiceLink = Incident.services.through
    for plan in plans:
        pk, team, at = incidents[plan.n], plan.team, plan.at
        name, summary = plan.alert
        if services_of[team.pk]:
            links.append(ServiceLink(incident_id=pk, service_id=rng.choice(services_of[team.pk])))
        resolved_at = at + plan.resolve_after
        for j in range(plan.alerts):
            fired = at + timedelta(seconds=rng.randrange(0, 120) if j else 0)
            alert_rows.append(
                {
                    "integration_id": integrations[team.pk].pk,
                    "incident_id": pk,
                    "dedup_key": f"{plan.n:05d}{j:03d}{rng.getrandbits(32):08x}",
                    "status": Alert.Status.RESOLVED,
                    "summary": f"{name} on {team.slug}-{rng.randrange(1, 40):02d}",
                    "severity": plan.severity,
                    "labels": {
                        "alertname": name,
                        "severity": "critical" if plan.severity <= 2 else "warning",
                    },
                    "annotations": {"summary": summary},
                    "starts_at": fired,
                    "ends_at": resolved_at,
                    "received_at": fired,
                    "updated_at": resolved_at,
                    "resolved_at": resolved_at,
                }
            )
        events.append(
            _event(
                incident_id=pk,
                at=at,
                kind="triggered",
                message="Opened by Prometheus (Prometheus Alertmanager).",
            )
        )
        for level, page_at, user_id in plan.paged:
            lag = rng.randrange(80, 2500)
            fired_at = page_at + timedelta(milliseconds=lag)
            data = {"level": level, "repeat": 0}
            events.append(
                _event(
                    incident_id=pk,
                    at=fired_at,
                    kind="escalation",
                    message=f"Step {level} of {team.name} default.",
                    due_at=page_at,
                    lag_ms=lag,
                    data=data,
                )
            )
            events.append(
                _event(
                    incident_id=pk,
                    at=fired_at,
                    kind="page",
                    message="Paged the on-call person.",
                    target_id=user_id,
                    data=data,
                )
            )
            key = f"page:{pk}:{level}:0:{user_id}"
            messages.append(
                {
                    "user_id": user_id,
                    "kind": Kind.PAGE,
                    "dedup_key": key,
                    "subject": f"[SEV{plan.severity}] #{pk} {name}: {summary}"[:200],
                    "body": "",
                    "url": f"/incidents/{pk}/",
                    "incident_id": pk,
                    "created_at": fired_at,
                    "read_at": fired_at + timedelta(minutes=2),
                }
            )
            pages.append((key, user_id, fired_at + timedelta(seconds=rng.randrange(1, 8))))
        if plan.acked:
            events.append(
                _event(
                    incident_id=pk,
                    at=at + plan.ack_after,
                    kind="acknowledged",
                    actor_id=plan.responder,
                    message="Acknowledged; escalation stopped.",
                )
            )
            events.append(
                _event(
                    incident_id=pk,
                    at=resolved_at,
                    kind="resolved",
                    actor_id=plan.responder,
                    message=f"Resolved (actionable: {'yes' if plan.actionable else 'no'}).",
                    data={"actionable": plan.actionable},
                )
            )
        else:
            events.append(
                _event(
                    incident_id=pk,
                    at=resolved_at,
                    kind="resolved",
                    message="Resolved automatically: every alert has resolved.",
                )
            )

    ServiceLink.objects.bulk_create(links, batch_size=2000)
    _insert(Alert, alert_rows)
    _insert(IncidentEvent, events)
    _insert(Message, messages)
    by_key = dict(
        Message.objects.filter(incident_id__in=incidents.values(), kind=Kind.PAGE).values_list(
            "dedup_key", "pk"
        )
    )
    _insert(
        Notification,
        [
            {
                "message_id": by_key[key],
                "user_id": user_id,
                "kind": Kind.PAGE,
                "channel": Channel.EMAIL,
                "dedup_key": f"{key}:history",
                "status": Notification.Status.SENT,
                "attempts": 1,
                "created_at": sent_at,
                "sent_at": sent_at,
            }
            for key, user_id, sent_at in pages
        ],
    )
    return len(plans), len(alert_rows)


@dataclass
class _Plan:
    """One history incident before it is written."""

    n: int
    team: Team
    at: datetime
    alert: tuple[str, str]
    severity: int
    actionable: bool
    acked: bool
    ack_after: timedelta
    alerts: int
    resolve_after: timedelta = timedelta(0)
    paged: list = field(default_factory=list)  # (level, due at, user id)
    responder: int | None = None

    def incident_row(self, integrations, policies, run: str) -> dict:
        name, summary = self.alert
        return {
            "title": f"{name}: {summary}",
            "severity": self.severity,
            "status": Incident.Status.RESOLVED,
            "team_id": self.team.pk,
            "integration_id": integrations[self.team.pk].pk,
            "group_key": f"{HISTORY_KEY}:{run}:{self.n}",
            "triggered_at": self.at,
            "acknowledged_at": self.at + self.ack_after if self.acked else None,
            "acknowledged_by_id": self.responder,
            "resolved_at": self.at + self.resolve_after,
            "resolved_by_id": self.responder,
            # Auto-resolved before anyone answered: nobody said whether it was actionable.
            "actionable": self.actionable if self.acked else None,
            "resolution_note": (
                "" if self.actionable or not self.acked else "Noise: tune this alert."
            ),
            "escalation_policy_id": policies[self.team.pk].pk if self.team.pk in policies else None,
            "escalation_level": len(self.paged),
        }
