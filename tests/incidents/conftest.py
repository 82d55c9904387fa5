"""Helpers for the incidents tests: an Alertmanager and a generic integration, Alertmanager
payloads, posting them, a broker to stop."""

import json
import socket
from datetime import UTC, datetime

import pytest

from incidents import ingest
from portal.celery import app as celery_app
from tests import factories

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def integration(team):
    """An Alertmanager integration of ``team``."""
    return factories.IntegrationFactory(team=team)


@pytest.fixture
def generic(team):
    """A generic JSON integration of ``team``."""
    return factories.IntegrationFactory(team=team, generic=True)


def am_alert(
    fingerprint: str,
    *,
    status: str = "firing",
    alertname: str = "HighErrorRate",
    summary: str | None = None,
    severity: str | None = "critical",
    **labels,
) -> dict:
    all_labels = {"alertname": alertname, **labels}
    if severity is not None:
        all_labels["severity"] = severity
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": summary or f"{alertname} on {fingerprint}"},
        "startsAt": "2025-03-03T01:59:00.123456789Z",
        "endsAt": "2025-03-03T02:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def am_payload(*alerts: dict, group_key: str = '{}:{alertname="HighErrorRate"}', **extra) -> dict:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "runwell",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
        **extra,
    }


def post_json(client, url: str, data, *, drain: bool = True, **kwargs):
    """POST ``data`` as JSON. The webhooks only store the payload in the inbox and answer 202;
    after a 202 this drains the inbox as the worker would, so a test can look at incidents
    and alerts at once. ``drain=False``: the request alone."""
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    response = client.post(url, data=body, content_type="application/json", **kwargs)
    if drain and response.status_code == 202:
        ingest.inbox_drain()
    return response


def am_url(integration) -> str:
    return f"/hooks/alertmanager/{integration.token}/"


def generic_url(integration) -> str:
    return f"/hooks/generic/{integration.token}/"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_producer_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Controls the broker Celery publishes to: ``broker.down()`` points it at a closed
    loopback port (a real connection refusal), ``broker.up()`` restores the test broker."""
    saved = celery_app.conf.broker_write_url

    class Broker:
        def down(self):
            celery_app.conf.broker_write_url = f"redis://127.0.0.1:{_closed_port()}/0"
            _reset_producer_pools()

        def up(self):
            celery_app.conf.broker_write_url = saved
            _reset_producer_pools()

    yield Broker()
    celery_app.conf.broker_write_url = saved
    _reset_producer_pools()
