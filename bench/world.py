"""Data for paging scenarios, written through the project's own services.

``paging_world`` makes a team whose every service has its own escalation policy naming its
own people, each reachable on a chat webhook of a :class:`bench.harness.Receiver`:

- service ``<prefix>-s<i>``: step 1 pages ``<prefix>-a<i>`` (receiver path
  ``/<prefix>/a/<i>``) and, with ``people_per_step=2``, ``<prefix>-c<i>`` (``/<prefix>/c/<i>``);
  step 2 (if ``steps=2``) pages ``<prefix>-b<i>`` (``/<prefix>/b/<i>``);
- one Alertmanager integration of the team; an alert labelled ``service=<prefix>-s<i>``
  opens (or joins) the incident of its group and pages service ``i``'s people.

One person per incident and step, so no page waits in the 60-second bundling window of
another and every arrival at the receiver names exactly one (incident, step, person).

Run inside a configured Django process, or as ``python -m bench.world '<json kwargs>'``
(prints the result as JSON) with ``DATABASE_URL`` pointing at the target database.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime


def paging_world(
    *,
    prefix: str,
    count: int,
    receiver: str,
    steps: int = 1,
    wait_minutes: int = 1,
    rate_limit: int = 100_000,
    people_per_step: int = 1,
    manager_password: str = "",
) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from incidents import policies as incident_policies
    from incidents import services as incident_services
    from portal.catalog.services import service_create
    from portal.notifications.models import Channel, ContactMethod
    from portal.people.services import team_create

    User = get_user_model()

    def person(name: str, path: str, password: str = ""):
        user = User(username=name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        ContactMethod.objects.create(
            user=user, channel=Channel.CHAT_WEBHOOK, address=f"{receiver}{path}", label="bench"
        )
        return user

    with transaction.atomic():
        manager = person(f"{prefix}-manager", f"/{prefix}/manager", manager_password)
        team = team_create(name=f"Bench {prefix}", slug=prefix, managers=[manager])
        slugs = []
        for i in range(count):
            service = service_create(name=f"{prefix} service {i}", slug=f"{prefix}-s{i}", team=team)
            policy = incident_policies.policy_create(
                team=team, name=f"{prefix} policy {i}", service=service
            )
            first = [person(f"{prefix}-a{i}", f"/{prefix}/a/{i}")]
            if people_per_step >= 2:
                first.append(person(f"{prefix}-c{i}", f"/{prefix}/c/{i}"))
            incident_policies.step_add(policy=policy, wait_minutes=wait_minutes, users=first)
            if steps >= 2:
                incident_policies.step_add(
                    policy=policy,
                    wait_minutes=wait_minutes,
                    users=[person(f"{prefix}-b{i}", f"/{prefix}/b/{i}")],
                )
            slugs.append(service.slug)
        integration, token = incident_services.integration_create(
            name=f"{prefix} alertmanager",
            kind="alertmanager",
            by=None,
            team=team,
            rate_limit_per_minute=rate_limit,
        )
    return {
        "manager": manager.username,
        "team_id": team.pk,
        "integration_id": integration.pk,
        "token": token,
        "path": integration.webhook_path(token),
        "services": slugs,
    }


def alertmanager_body(
    *,
    group: str,
    alerts: list[tuple[str, dict]],
    status: str = "firing",
    started: datetime | None = None,
) -> bytes:
    """An Alertmanager v4 webhook body: ``alerts`` are ``(fingerprint, labels)`` pairs."""
    started = started or datetime(2025, 1, 1, tzinfo=UTC)
    return json.dumps(
        {
            "version": "4",
            "groupKey": group,
            "status": status,
            "receiver": "runwell",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.bench:9093",
            "alerts": [
                {
                    "status": status,
                    "labels": {"severity": "critical", **labels},
                    "annotations": {"summary": f"{labels.get('alertname', 'Alert')} {fp}"},
                    "startsAt": started.isoformat(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.bench:9090/graph",
                    "fingerprint": fp,
                }
                for fp, labels in alerts
            ],
        }
    ).encode()


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

    django.setup()
    print(json.dumps(paging_world(**json.loads(sys.argv[1]))))
