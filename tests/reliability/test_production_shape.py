"""The production shape, started for real: two web processes (gunicorn), two Celery workers
and one beat against PostgreSQL and Redis (README, "Production shape / scaling out").

- both web processes answer /healthz with the database and the broker up;
- the web tier is stateless: a session opened on one process works on the other;
- Alertmanager in HA pairs sends every notification twice; here each alert reaches both web
  processes, and is stored once, opens one incident and pages its person once;
- both workers take work from the one queue.
"""

import re
import threading
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from bench import harness

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

ALERTS = 20
PASSWORD = "reliability-Pass-1"


def _cookies(response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _log_in(port: int, username: str) -> dict[str, str]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login/")
    page = conn.getresponse()
    cookies = _cookies(page)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read()).group(1)
    form = urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.decode()}
    )
    conn.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
        },
    )
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302, answer.status
    return {**cookies, **_cookies(answer)}


def test_two_web_two_workers_one_beat(stack, capsys):
    prefix = "prd"
    world = stack.world(prefix=prefix, count=ALERTS, manager_password=PASSWORD)
    web = [stack.web("web-1", wait=False), stack.web("web-2", wait=False)]
    stack.procs.worker("worker-1", concurrency=2, wait=False)
    stack.procs.worker("worker-2", concurrency=2, wait=False)
    stack.procs.beat("beat", wait=False)
    stack.procs.wait_ready()

    for port in web:
        status, body = harness.get_one(port, "/healthz")
        assert status == 200 and b'"database": "ok"' in body and b'"broker": "ok"' in body, body

    # Stateless web: log in on one process, carry on with the other.
    cookies = _log_in(web[0], world["manager"])
    conn = HTTPConnection("127.0.0.1", web[1], timeout=10)
    conn.request("GET", "/", headers={"Cookie": f"sessionid={cookies['sessionid']}"})
    dashboard = conn.getresponse()
    assert dashboard.status == 200 and world["manager"].encode() in dashboard.read()

    # Every alert reaches both web processes at about the same time (an HA Alertmanager pair).
    statuses: list[int] = []
    deadline = time.monotonic() + 30

    def send(port: int) -> None:
        for i in range(ALERTS):
            body = stack.body(world, i, prefix)
            statuses.extend(stack.send_until_accepted(port, world["path"], body, deadline=deadline))

    threads = [threading.Thread(target=send, args=(port,)) for port in web]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [202] * (2 * ALERTS)

    assert stack.wait_for_pages(prefix, ALERTS, timeout=45), stack.pages(prefix)
    stack.settle()
    figures = stack.summary(world=world, prefix=prefix, sent=ALERTS)
    stack.report("production-shape", **figures, capsys=capsys)
    assert figures["stored"] == ALERTS and figures["lost"] == 0 and figures["duplicates"] == 0
    assert stack.incidents(world) == ALERTS
    for name in ("worker-1", "worker-2"):
        assert b"succeeded in" in stack.procs.procs[name].log.read_bytes(), f"{name} did nothing"
