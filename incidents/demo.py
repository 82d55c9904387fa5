"""Demo incidents for ``seed_demo``: integrations, escalation policies, incidents in every
state and a history of alerts and pages.

small: for Payments, Platform and Search an Alertmanager integration (token
``demo-<team>-alertmanager``, so ``curl`` examples work), a generic one for Payments, a
heartbeat monitor for Platform, a default escalation policy per team built on its rotas, a
handful of story incidents (triggered and escalating, acknowledged, resolved, suppressed by
maintenance, declared by hand) and 90 days of history for the three teams.

large: the same plus, for every team, an integration and a policy, and a year of history:
about 5,000 incidents and 50,000 alerts, clustered at night and at weekends, each with its
timeline and the pages it caused (inbox messages and delivered notifications, paged to the
person really on call at the time), so the load review has something true to show.

Idempotent: story incidents are recognised by title, history by its ``demo-history`` group
keys; running it twice adds nothing. History is written with ``bulk_create`` and sends
nothing; only the one escalating story incident pages (through the normal engine).
"""

from __future__ import annotations

import bisect
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from incidents import escalation, ingest, services
from incidents.models import (
    Alert,
    DigestField,
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentEvent,
    Integration,
    hash_token,
    key_digest,
)
from incidents.payloads import IncomingAlert
from portal.catalog.models import Service
from portal.notifications.models import Channel, Kind, Message, Notification
from portal.people.models import Membership, Team

User = get_user_model()

SMALL_TEAMS = ("payments", "platform", "search")
HISTORY_KEY = "demo-history"
SCALES = {
    # days of history, incidents, mean alerts per incident, which teams
    "small": (90, 150, 6, "small"),
    "large": (365, 5000, 10, "all"),
}
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


def _demo_token(team_slug: str, kind: str) -> str:
    return f"demo-{team_slug}-{kind}"


# ---------------------------------------------------------------------------- set-up rows
def _ensure_integrations(teams: list[Team], *, demo_tokens: bool) -> dict[int, Integration]:
    """One Alertmanager integration ("Prometheus") per team; returns {team id: integration}."""
    have = {
        i.team_id: i
        for i in Integration.objects.filter(team__in=teams, name="Prometheus", kind="alertmanager")
    }
    fresh = []
    for team in teams:
        if team.pk in have:
            continue
        integration = Integration(name="Prometheus", kind="alertmanager", team=team)
        if demo_tokens:
            token = _demo_token(team.slug, "alertmanager")
            integration.token_prefix, integration.token_hash = token[:8], hash_token(token)
        else:
            integration.set_new_token()
        fresh.append(integration)
    Integration.objects.bulk_create(fresh, batch_size=500)
    have.update(
        {
            i.team_id: i
            for i in Integration.objects.filter(
                team__in=teams, name="Prometheus", kind="alertmanager"
            )
        }
    )
    return have


def _ensure_policies(teams: list[Team]) -> dict[int, EscalationPolicy]:
    """A default policy per team: its first rota's on-call person, then its second rota's
    (or the managers), then the managers; repeated once."""
    from oncall.models import Schedule

    have = {p.team_id: p for p in EscalationPolicy.objects.filter(team__in=teams, service=None)}
    fresh = [t for t in teams if t.pk not in have]
    if not fresh:
        return have
    policies = EscalationPolicy.objects.bulk_create(
        [
            EscalationPolicy(
                team=t,
                name=f"{t.name} default",
                repeat_count=1,
                description="First the rota, then backup, then the managers.",
            )
            for t in fresh
        ],
        batch_size=500,
    )
    schedules = defaultdict(list)
    for s in Schedule.objects.filter(team__in=fresh).order_by("name", "pk"):
        schedules[s.team_id].append(s)
    steps, step_schedules = [], []
    for policy in policies:
        rotas = schedules.get(policy.team_id, [])
        plan = []  # (wait, schedule or None, managers?)
        if rotas:
            plan.append((5, rotas[0], False))
            plan.append((10, rotas[1], False) if len(rotas) > 1 else (10, None, True))
            if len(rotas) > 1:
                plan.append((15, None, True))
        else:
            plan.append((10, None, True))
        for position, (wait, rota, managers) in enumerate(plan):
            step = EscalationStep(
                policy=policy, position=position, wait_minutes=wait, notify_managers=managers
            )
            steps.append(step)
            step_schedules.append(rota)
    steps = EscalationStep.objects.bulk_create(steps, batch_size=1000)
    Through = EscalationStep.schedules.through
    Through.objects.bulk_create(
        [
            Through(escalationstep_id=step.pk, schedule_id=rota.pk)
            for step, rota in zip(steps, step_schedules, strict=True)
            if rota is not None
        ],
        batch_size=1000,
    )
    have.update({p.team_id: p for p in policies})
    return have


# --------------------------------------------------------------------------------- history
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
        try:
            from oncall import engine
            from oncall.models import Schedule
            from oncall.selectors import load_schedules

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
        except ImportError:  # rotas not installed: fall back to team members
            pass

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


def _history(teams: list[Team], *, days: int, count: int, mean_alerts: int, rng, now, run: str):
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
    integrations = _ensure_integrations(teams, demo_tokens=False)
    policies = _ensure_policies(teams)
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
        more = f" (+{self.alerts - 1} more)" if self.alerts > 1 else ""
        return {
            "title": f"{name}: {summary}{more}",
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


# ---------------------------------------------------------------------------------- stories
STORY_TITLES = {
    "triggered": "Checkout 5xx above 2%",
    "acknowledged": "Refund queue backing up",
    "resolved": "Ledger nightly reconciliation failed",
    "noise": "Search p99 latency above 1.5 s",
    "maintenance": "Kafka broker 2 under-replicated partitions",
    "declared": "Search results empty for some queries",
}


def _am(fingerprint: str, summary: str, *, alertname: str, status="firing", **labels):
    severity = labels.pop("severity", "critical")
    return IncomingAlert(
        dedup_key=fingerprint,
        group_key=f"demo:{alertname}",
        status=status,
        summary=summary,
        severity=severity,
        source="http://prometheus.example/graph",
        labels={"alertname": alertname, "severity": severity, **labels},
        annotations={"summary": summary},
    )


def _stories(now: datetime, teams: dict[str, Team]) -> int:
    if Incident.objects.filter(title__in=STORY_TITLES.values()).exists():
        return 0
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["demo", "alice", "grace", "heidi", "dave"])
    }
    services_ = {
        s.slug: s
        for s in Service.objects.filter(
            slug__in=["payments-api", "refunds", "ledger", "kafka", "search-api"]
        )
    }
    if not {"demo", "alice", "grace"} <= set(people) or len(services_) < 5:
        return 0
    integrations = {
        i.team.slug: i
        for i in Integration.objects.filter(
            team__slug__in=SMALL_TEAMS, name="Prometheus"
        ).select_related("team")
    }
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731

    # Triggered: step 1 paged four minutes ago, step 2 due in a minute (the beat will page).
    am = integrations["payments"]
    when = ago(minutes=4)
    result = ingest.alerts_ingest(
        integration=am,
        alerts=[
            _am(
                "d1a",
                STORY_TITLES["triggered"],
                alertname="HighErrorRate",
                service="payments-api",
                instance="api-1",
            ),
            _am(
                "d1b",
                "Checkout 5xx above 2% on api-2",
                alertname="HighErrorRate",
                service="payments-api",
                instance="api-2",
            ),
        ],
        now=when,
    )
    triggered = Incident.objects.get(pk=result.incident_ids[0])
    triggered.title = STORY_TITLES["triggered"]
    triggered.save(update_fields=["title"])
    escalation.escalate_due(incident_id=triggered.pk, now=when)

    # Acknowledged, with a commander and a status update.
    generic = Integration.objects.filter(team=teams["payments"], kind="generic").first()
    when = ago(minutes=50)
    result = ingest.alerts_ingest(
        integration=generic,
        alerts=[
            IncomingAlert(
                dedup_key="refund-queue",
                group_key="refund-queue",
                status="firing",
                summary=STORY_TITLES["acknowledged"],
                severity="warning",
                source="cron@refunds-1",
                payload={"summary": STORY_TITLES["acknowledged"], "details": {"depth": 18250}},
            )
        ],
        now=when,
    )
    acked = Incident.objects.get(pk=result.incident_ids[0])
    acked.services.set([services_["refunds"]])
    escalation.escalate_due(incident_id=acked.pk, now=when)
    services.incident_acknowledge(incident=acked, by=people["alice"], now=ago(minutes=47))
    services.incident_set_role(
        incident=acked,
        role="commander",
        user=people["demo"],
        by=people["alice"],
        now=ago(minutes=45),
    )
    services.incident_add_note(
        incident=acked,
        text="Refunds worker is stuck on one poisoned message; skipping it.",
        by=people["alice"],
        now=ago(minutes=40),
    )
    services.incident_add_note(
        incident=acked,
        text="Refunds are delayed by about 30 minutes; no money lost.",
        by=people["demo"],
        status_update=True,
        now=ago(minutes=38),
    )

    # Resolved, actionable, declared by hand three days ago.
    when = ago(days=3, hours=2)
    resolved = services.incident_declare(
        title=STORY_TITLES["resolved"],
        severity=2,
        services=[services_["ledger"]],
        by=people["demo"],
        description="Reconciliation job exited with a checksum mismatch.",
        now=when,
    )
    escalation.escalate_due(incident_id=resolved.pk, now=when)
    services.incident_acknowledge(
        incident=resolved, by=people["alice"], now=when + timedelta(minutes=3)
    )
    services.incident_resolve(
        incident=resolved,
        by=people["alice"],
        actionable=True,
        note="Re-ran the job after fixing the currency table.",
        now=when + timedelta(hours=1, minutes=10),
    )

    # Noise: fired at night, resolved itself, answered as not actionable.
    search_am = integrations["search"]
    when = ago(days=1, hours=5)
    result = ingest.alerts_ingest(
        integration=search_am,
        alerts=[
            _am(
                "d4",
                STORY_TITLES["noise"],
                alertname="HighLatency",
                severity="warning",
                service="search-api",
            )
        ],
        now=when,
    )
    noise = Incident.objects.get(pk=result.incident_ids[0])
    escalation.escalate_due(incident_id=noise.pk, now=when)
    ingest.alerts_ingest(
        integration=search_am,
        alerts=[
            _am(
                "d4",
                STORY_TITLES["noise"],
                status="resolved",
                alertname="HighLatency",
                severity="warning",
                service="search-api",
            )
        ],
        now=when + timedelta(minutes=6),
    )
    Incident.objects.filter(pk=noise.pk).update(actionable=False)

    # Maintenance: Kafka is being upgraded; its alert is recorded but pages nobody.
    services.maintenance_start(
        service=services_["kafka"],
        ends_at=now + timedelta(hours=2),
        by=people.get("dave") or people["demo"],
        reason="Rolling upgrade to 3.7",
        now=ago(minutes=30),
    )
    ingest.alerts_ingest(
        integration=integrations["platform"],
        alerts=[
            _am("d5", STORY_TITLES["maintenance"], alertname="UnderReplicated", service="kafka")
        ],
        now=ago(minutes=12),
    )

    # Declared by hand, SEV1, acknowledged, with a communications lead.
    when = ago(hours=2)
    declared = services.incident_declare(
        title=STORY_TITLES["declared"],
        severity=1,
        services=[services_["search-api"]],
        by=people["grace"],
        description="Customers report empty result pages for multi-word queries.",
        now=when,
    )
    escalation.escalate_due(incident_id=declared.pk, now=when)
    services.incident_acknowledge(
        incident=declared, by=people["grace"], now=when + timedelta(minutes=2)
    )
    services.incident_set_role(
        incident=declared,
        role="commander",
        user=people["grace"],
        by=people["grace"],
        now=when + timedelta(minutes=3),
    )
    if "heidi" in people:
        services.incident_set_role(
            incident=declared,
            role="comms_lead",
            user=people["heidi"],
            by=people["grace"],
            now=when + timedelta(minutes=4),
        )
    services.incident_add_note(
        incident=declared,
        text="Some searches return no results; we are investigating.",
        by=people["grace"],
        status_update=True,
        now=when + timedelta(minutes=10),
    )
    return len(STORY_TITLES)


def _small_setup(teams: dict[str, Team], now: datetime) -> None:
    _ensure_integrations(list(teams.values()), demo_tokens=True)
    _ensure_policies(list(teams.values()))
    payments = teams.get("payments")
    if payments and not Integration.objects.filter(team=payments, kind="generic").exists():
        token = _demo_token("payments", "generic")
        Integration.objects.create(
            name="Cron jobs",
            kind="generic",
            team=payments,
            token_prefix=token[:8],
            token_hash=hash_token(token),
        )
    platform = teams.get("platform")
    if (
        platform
        and not Integration.objects.filter(team=platform, heartbeat_minutes__isnull=False).exists()
    ):
        token = _demo_token("platform", "heartbeat")
        Integration.objects.create(
            name="Nightly backup",
            kind="generic",
            team=platform,
            token_prefix=token[:8],
            token_hash=hash_token(token),
            heartbeat_minutes=24 * 60,
            heartbeat_since=now - timedelta(days=30),
            last_ping_at=now - timedelta(hours=3),
        )


def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    now = timezone.now()
    teams = {t.slug: t for t in Team.objects.filter(slug__in=SMALL_TEAMS)}
    with transaction.atomic():
        _small_setup(teams, now)
        stories = _stories(now, teams) if len(teams) == len(SMALL_TEAMS) else 0
    days, count, mean_alerts, which = SCALES["large" if scale == "large" else "small"]
    history_teams = list(Team.objects.order_by("pk")) if which == "all" else list(teams.values())
    with transaction.atomic():
        incidents, alerts = _history(
            history_teams,
            days=days,
            count=count,
            mean_alerts=mean_alerts,
            rng=rng,
            now=now,
            run=scale,
        )
    stdout.write(
        f"  incidents: {stories} story incident(s), {incidents} in history with {alerts} alerts; "
        f"webhook tokens demo-<team>-alertmanager (e.g. /hooks/alertmanager/"
        f"{_demo_token('payments', 'alertmanager')}/)"
    )
