"""The reliability suite: real processes (gunicorn, Celery workers and beat) on loopback,
against a PostgreSQL database of its own (``<name>_reliability`` on the server of
``DATABASE_URL``, whose database is ``<name>``) and a private ``redis-server`` per scenario,
which a scenario may stop and start again (the machine's own Redis and PostgreSQL are never
stopped).

Every scenario is marked ``postgres`` and ``redis`` (skipped without those servers, failed
under ``RUNWELL_REQUIRE_SERVICES=1``), has a hard time limit, ends every process it started,
and prints one line: ``reliability <scenario>: sent=N stored=N paged=N duplicates=N lost=N``.
The processes run ``tests.reliability.settings`` (production settings with a faster sweeper).

The other process-level tests live here too: settings and the log format as a fresh Python
process reads them (test_production_settings.py, test_log_format.py); they need no stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from bench import harness
from bench.world import alertmanager_body


def _database_name() -> str:
    """``<name>_reliability`` for ``DATABASE_URL``'s ``<name>``: two suites run at once with
    different databases (two engineers, CI) do not share, and so do not wipe, each other's."""
    name = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/") or "runwell"
    return f"{name}_reliability"[:63]


REQUIRE_SERVICES = os.environ.get("RUNWELL_REQUIRE_SERVICES") == "1"


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (RUNWELL_REQUIRE_SERVICES=1, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.reliability_failed = report.failed
    return report


@pytest.fixture(scope="session")
def reliability_db() -> str:
    """Our own database, migrated (recreated if an old copy cannot be migrated)."""
    for reason in (harness.pg_available(), harness.RedisServer.available()):
        if reason:
            _missing(reason)
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_BROKER_URL": "memory://"}
    try:
        return harness.database(_database_name(), fresh=False, env=env)
    except RuntimeError:
        return harness.database(_database_name(), fresh=True, env=env)


def table(model_path: str) -> str:
    from django.utils.module_loading import import_string

    return import_string(model_path)._meta.db_table


@dataclass
class Stack:
    """One scenario's world: database, private Redis, chat receiver and processes."""

    db_url: str
    redis: harness.RedisServer
    receiver: harness.Receiver
    procs: harness.Processes
    env: dict
    lines: list[str] = field(default_factory=list)

    # -- set-up
    def world(self, *, prefix: str, count: int, steps: int = 1, **extra) -> dict:
        """``bench.world.paging_world`` in a subprocess against our database."""
        args = {"prefix": prefix, "count": count, "receiver": self.receiver.url(""), "steps": steps}
        done = subprocess.run(
            [sys.executable, "-m", "bench.world", json.dumps({**args, **extra})],
            env={**os.environ, **self.env, "PYTHONPATH": str(harness.ROOT)},
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def web(self, name: str = "web", *, workers: int = 2, env: dict | None = None, wait=True):
        port = harness.free_port()
        self.procs.gunicorn(name, port, workers=workers, env=env, wait=wait)
        return port

    # -- traffic
    @staticmethod
    def body(world: dict, i: int, prefix: str) -> bytes:
        """Alert ``i``: its own group (so its own incident) on service ``i``."""
        return alertmanager_body(
            group=f"{prefix}-g{i}",
            alerts=[(f"{prefix}-f{i}", {"alertname": f"Rel{i}", "service": world["services"][i]})],
        )

    @staticmethod
    def send_until_accepted(port: int, path: str, body: bytes, *, deadline: float) -> list[int]:
        """POST like Alertmanager: retry (every 0.2 s) until 202 or ``deadline``; never send
        again after a 202. Returns every status seen (0: no answer)."""
        statuses = []
        while True:
            started = time.monotonic()
            status, answer = harness.post_one(port, path, body, timeout=10)
            statuses.append(status)
            if status == 0:
                elapsed = time.monotonic() - started
                print(f"no answer from 127.0.0.1:{port} after {elapsed:.1f} s: {answer!r}")
            if status == 202 or time.monotonic() > deadline:
                return statuses
            time.sleep(0.2)

    # -- checks
    def sql(self, query: str, params=None) -> list[tuple]:
        return harness.sql(self.db_url, query, params)

    def alerts_stored(self, world: dict) -> tuple[int, int]:
        """(rows, distinct identities) of the world's integration."""
        rows = self.sql(
            f"SELECT count(*), count(DISTINCT dedup_key) FROM {table('incidents.models.Alert')} "
            "WHERE integration_id = %s",
            [world["integration_id"]],
        )
        return rows[0]

    def incidents(self, world: dict) -> int:
        return self.sql(
            f"SELECT count(*) FROM {table('incidents.models.Incident')} WHERE integration_id = %s",
            [world["integration_id"]],
        )[0][0]

    def pages(self, prefix: str, step: str = "a") -> Counter:
        """Deliveries the receiver answered, per person path of ``step``."""
        return Counter(a.path for a in self.receiver.delivered(f"/{prefix}/{step}/"))

    def wait_for_pages(self, prefix: str, expected: int, *, timeout: float, step="a") -> bool:
        return harness.wait_until(
            lambda: len(self.pages(prefix, step)) >= expected, timeout=timeout
        )

    def drain_inbox(self) -> int:
        """Ingest the accepted webhook payloads now, in a subprocess against our database (as
        a worker would); returns how many were handled. Escalation kicks it enqueues go to
        our Redis."""
        code = (
            "import django; django.setup(); "
            "from incidents.ingest import inbox_drain; print(inbox_drain())"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, **self.env, "PYTHONPATH": str(harness.ROOT)},
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return int(done.stdout.strip().splitlines()[-1])

    def settle(self, *, quiet: float = 3.0, timeout: float = 30) -> None:
        """Wait until no webhook payload waits in the inbox, no delivery is pending or in
        flight and no escalation is due, then ``quiet`` seconds more (a tick and a sweep), so
        a duplicate would have shown up."""
        notification = table("portal.notifications.models.Notification")
        incident = table("incidents.models.Incident")
        inbox = table("incidents.models.InboxPayload")

        def idle() -> bool:
            busy = self.sql(
                f"SELECT (SELECT count(*) FROM {notification} "
                "WHERE status IN ('pending', 'sending')) + "
                f"(SELECT count(*) FROM {incident} WHERE status = 'triggered' "
                "AND next_escalation_at <= now()) + "
                f"(SELECT count(*) FROM {inbox} WHERE failed_at IS NULL)"
            )
            return busy[0][0] == 0

        harness.wait_until(idle, timeout=timeout, interval=0.2)
        time.sleep(quiet)

    def failed_payloads(self) -> list[tuple]:
        """Webhook payloads the drain could not ingest (there must be none)."""
        inbox = table("incidents.models.InboxPayload")
        return self.sql(f"SELECT id, error FROM {inbox} WHERE failed_at IS NOT NULL")

    def summary(self, *, world: dict, prefix: str, sent: int, steps=("a",)) -> dict:
        """The figures of the summary line, for a world where alert ``i`` pages person ``i``
        of every step."""
        assert self.failed_payloads() == []
        rows, distinct = self.alerts_stored(world)
        paged = duplicates = 0
        for step in steps:
            pages = self.pages(prefix, step)
            paged += len(pages)
            duplicates += sum(n - 1 for n in pages.values())
        expected_pages = sent * len(steps)
        return {
            "sent": sent,
            "stored": distinct,
            "paged": paged,
            "duplicates": duplicates + rows - distinct,
            "lost": (sent - distinct) + (expected_pages - paged),
        }

    def report(self, scenario: str, *, sent, stored, paged, duplicates, lost, capsys) -> str:
        line = (
            f"reliability {scenario}: sent={sent} stored={stored} paged={paged} "
            f"duplicates={duplicates} lost={lost}"
        )
        with capsys.disabled():
            print(f"\n{line}", flush=True)
        self.lines.append(line)
        return line


def process_env(db_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a scenario's processes: our database and private Redis, DEBUG on,
    and outbound HTTP allowed to the loopback chat receiver. ``overrides`` add or replace
    variables (production settings, say: ``DEBUG="false"`` and a ``SECRET_KEY``)."""
    return {
        "DJANGO_SETTINGS_MODULE": "tests.reliability.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "DEBUG": "true",
        "RUNWELL_BASE_URL": "http://127.0.0.1:8000",
        "LOG_LEVEL": "INFO",
        # The chat webhooks are a loopback receiver: outbound HTTP must be allowed there.
        "OUTBOUND_ALLOW_PRIVATE": "127.0.0.1/32",
        **overrides,
    }


@pytest.fixture
def stack(reliability_db, request):
    """A clean database, a private Redis, a chat receiver, and a process supervisor; every
    process is ended afterwards (their logs are printed if the scenario failed)."""
    harness.truncate_all(reliability_db)
    redis = harness.RedisServer().start()
    receiver = harness.Receiver()
    env = process_env(reliability_db, redis.url)
    procs = harness.Processes(env=env)
    try:
        yield Stack(db_url=reliability_db, redis=redis, receiver=receiver, procs=procs, env=env)
    finally:
        failed = getattr(request.node, "reliability_failed", False)
        if failed:
            sys.stderr.write(f"\nProcess logs ({procs.logdir}):\n{procs.tails()}\n")
        procs.close(keep_logs=failed)
        receiver.close()
        redis.stop()
