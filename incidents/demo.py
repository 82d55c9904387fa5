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

import random
import sys
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents import alert_upsert, escalation, services
from incidents.demo_history import history
from incidents.demo_setup import demo_token, ensure_integrations, ensure_policies
from incidents.models import (
    Incident,
    Integration,
    hash_token,
)
from incidents.payloads import IncomingAlert
from portal.catalog.models import Service
from portal.people.models import Team
from portal.wording import counted

User = get_user_model()

SMALL_TEAMS = ("payments", "platform", "search")
SCALES = {
    # days of history, incidents, mean alerts per incident, which teams
    "small": (90, 150, 6, "small"),
    "large": (365, 5000, 10, "all"),
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
    result = alert_upsert.alerts_ingest(
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
    result = alert_upsert.alerts_ingest(
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
    result = alert_upsert.alerts_ingest(
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
    alert_upsert.alerts_ingest(
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
    alert_upsert.alerts_ingest(
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
    ensure_integrations(list(teams.values()), demo_tokens=True)
    ensure_policies(list(teams.values()))
    payments = teams.get("payments")
    if payments and not Integration.objects.filter(team=payments, kind="generic").exists():
        token = demo_token("payments", "generic")
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
        token = demo_token("platform", "heartbeat")
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
        incidents, alerts = history(
            history_teams,
            days=days,
            count=count,
            mean_alerts=mean_alerts,
            rng=rng,
            now=now,
            run=scale,
        )
    stdout.write(
        f"  incidents: {counted(stories, 'story incident')}, {incidents} in history with "
        f"{counted(alerts, 'alert')}; "
        f"webhook tokens demo-<team>-alertmanager (e.g. /hooks/alertmanager/"
        f"{demo_token('payments', 'alertmanager')}/)"
    )
