"""Redis, the broker (and the cache), dies in the middle of a burst of alerts and comes back
empty: every alert sent is stored, every incident pages its person exactly once, and the
pages of the incidents opened during the outage go out once the broker is back."""

import threading
import time

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(150)]

ALERTS = 50
INTERVAL = 0.1  # seconds between alerts
STOP_AT, START_AT = 10, 40  # Redis is down while alerts 10..39 arrive (about 3 s)


def test_redis_stopped_in_a_burst_of_alerts(stack, capsys):
    prefix = "brk"
    world = stack.world(prefix=prefix, count=ALERTS)
    port = stack.web(wait=False)
    stack.procs.worker("worker", wait=False)
    stack.procs.beat("beat", wait=False)
    stack.procs.wait_ready()

    statuses: dict[int, list[int]] = {}
    accepted_at: dict[int, float] = {}
    deadline = time.monotonic() + 60

    def send(i: int) -> None:
        body = stack.body(world, i, prefix)
        statuses[i] = stack.send_until_accepted(port, world["path"], body, deadline=deadline)
        accepted_at[i] = time.monotonic()

    threads = []
    for i in range(ALERTS):
        if i == STOP_AT:
            stack.redis.stop()
            down_at = time.monotonic()
        if i == START_AT:
            stack.redis.start()
            up_at = time.monotonic()
        thread = threading.Thread(target=send, args=(i,))
        thread.start()
        threads.append(thread)
        time.sleep(INTERVAL)
    for thread in threads:
        thread.join()

    assert stack.wait_for_pages(prefix, ALERTS, timeout=60), stack.pages(prefix)
    stack.settle()
    figures = stack.summary(world=world, prefix=prefix, sent=ALERTS)
    stack.report("redis-restart", **figures, capsys=capsys)

    # The webhook kept answering 202 at the first attempt, Redis or not: the database keeps
    # the alerts, and the escalation tick picks their incidents up once the broker is back.
    assert all(s == [202] for s in statuses.values()), statuses
    assert figures["stored"] == ALERTS and figures["lost"] == 0
    assert figures["duplicates"] == 0
    assert stack.incidents(world) == ALERTS
    # The pages of incidents accepted while Redis was down left only once it was back.
    arrivals = {a.path: a.at for a in stack.receiver.delivered(f"/{prefix}/a/")}
    during = [i for i, at in accepted_at.items() if down_at <= at < up_at]
    assert during, "no alert was accepted during the outage"
    assert all(arrivals[f"/{prefix}/a/{i}"] >= up_at for i in during)
