"""The real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``, installed by
``make test`` when missing) on a free loopback port, with its own storage folder and no
cluster, its webhook receiver pointing at a live Runwell. Alerts go in through its own API
(``POST /api/v2/alerts``); its log is read back to see every notification it sent or failed
to send."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import harness

BINARY = "prometheus-alertmanager"
# Quick enough for a test: first notification 1 s after an alert, group changes every 2 s,
# unchanged groups sent again every 6 s.
TIMING = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "6s"}
FAILED = re.compile(r'msg="(Notify for alerts failed|Notify attempt failed[^"]*)"')
SUCCESS = re.compile(r'msg="Notify success"')
TS = re.compile(r"\bts=(\S+)")


def available() -> str | None:
    if shutil.which(BINARY):
        return None
    return f"{BINARY} is not installed (make test installs Debian's prometheus-alertmanager)"


def config(*, webhook: str) -> str:
    """One webhook (Runwell) behind two receivers and three routes: grouped by alertname (the
    default); ``group_by: ['...']`` (every alert its own group) for alerts labelled
    ``grouping="all"``; and receiver ``runwell-repeat`` for ``alertname="Repeated"``, whose
    "Notify success" lines (which name the receiver, not the group) count its repeats."""
    timing = "\n".join(f"  {k}: {v}" for k, v in TIMING.items())
    sub_timing = "\n".join(f"      {k}: {v}" for k, v in TIMING.items())
    hook = f"""    webhook_configs:
      - url: {json.dumps(webhook)}
        send_resolved: true"""
    return f"""route:
  receiver: runwell
  group_by: ['alertname']
{timing}
  routes:
    - matchers: ['grouping="all"']
      receiver: runwell
      group_by: ['...']
{sub_timing}
    - matchers: ['alertname="Repeated"']
      receiver: runwell-repeat
receivers:
  - name: runwell
{hook}
  - name: runwell-repeat
{hook}
"""


class Alertmanager:
    def __init__(self, procs: harness.Processes, *, webhook: str, name: str = "alertmanager"):
        self.procs = procs
        self.name = name
        self.port = harness.free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="runwell-alertmanager-"))
        (self.folder / "alertmanager.yml").write_text(config(webhook=webhook))
        self.proc = None

    def start(self) -> Alertmanager:
        argv = [
            shutil.which(BINARY) or BINARY,
            f"--config.file={self.folder / 'alertmanager.yml'}",
            f"--storage.path={self.folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ]
        self.proc = self.procs.start(self.name, argv)
        self.proc.ready = lambda: harness.get_one(self.port, "/-/ready", timeout=1)[0] == 200
        self.procs.wait_ready(self.name, timeout=30)
        return self

    def close(self) -> None:
        self.procs.stop(self.name)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- alerts in
    def post(self, alerts: list[dict]) -> None:
        """``POST /api/v2/alerts``: each alert ``{"labels", "annotations"?, "generatorURL"?,
        "startsAt"?, "endsAt"?}``; an ``endsAt`` in the past resolves it."""
        status, answer = harness.post_one(
            self.port, "/api/v2/alerts", json.dumps(alerts).encode(), timeout=10
        )
        assert status == 200, (status, answer[:500])

    @staticmethod
    def resolved(alert: dict) -> dict:
        now = datetime.now(UTC)
        return {
            **alert,
            "startsAt": alert.get("startsAt") or (now - timedelta(minutes=1)).isoformat(),
            "endsAt": (now - timedelta(seconds=1)).isoformat(),
        }

    # -- its log
    def log(self) -> str:
        return self.proc.log.read_text(errors="replace") if self.proc else ""

    def log_since(self, offset: int) -> str:
        return self.log()[offset:]

    def failures(self, text: str) -> list[str]:
        return [line for line in text.splitlines() if FAILED.search(line)]

    def successes(self, text: str, *, receiver: str) -> list[str]:
        """The "Notify success" lines of ``receiver`` (they do not name the group)."""
        mark = f"receiver={receiver} "
        return [line for line in text.splitlines() if SUCCESS.search(line) and mark in line]

    @staticmethod
    def logged_at(line: str) -> datetime | None:
        found = TS.search(line)
        return datetime.fromisoformat(found[1].replace("Z", "+00:00")) if found else None
