"""A Celery worker is killed with SIGKILL while it is delivering a page: the page is still
delivered (by another worker, once the sweeper sees the delivery was lost), and only once."""

import signal
import time

import pytest

from bench import harness
from tests.reliability.conftest import table

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]


def test_worker_killed_while_delivering(stack, capsys):
    prefix = "kil"
    world = stack.world(prefix=prefix, count=3)
    # Person 0's chat service holds the first request open: the worker is mid-delivery.
    stack.receiver.hang(f"/{prefix}/a/0", 60, first_only=True)
    port = stack.web(wait=False)
    stack.procs.worker("worker-a", concurrency=2, wait=False)
    stack.procs.beat("beat", wait=False)
    stack.procs.wait_ready()

    deadline = time.monotonic() + 30
    for i in range(3):
        body = stack.body(world, i, prefix)
        assert stack.send_until_accepted(port, world["path"], body, deadline=deadline) == [202]
    hanging = f"/{prefix}/a/0"
    assert harness.wait_until(
        lambda: any(a.path == hanging for a in stack.receiver.snapshot()), timeout=20
    ), "the first delivery never reached the chat service"
    # The scenario is the delivery that hangs: let the other two pages finish and be recorded
    # first. A worker killed after a chat service answered but before the row says "sent"
    # sends that page again (at least once, by design); under load that happened to one of
    # them and was counted as a duplicate of the scenario.
    notification = table("portal.notifications.models.Notification")
    sent = f"SELECT count(*) FROM {notification} WHERE dedup_key LIKE 'page:%%' AND status = 'sent'"
    assert harness.wait_until(lambda: stack.sql(sent)[0][0] == 2, timeout=30), stack.sql(sent)

    stack.procs.kill("worker-a", signal.SIGKILL)  # the worker and its pool, mid-request
    killed_at = time.monotonic()
    stack.procs.worker("worker-b", concurrency=2)

    assert stack.wait_for_pages(prefix, 3, timeout=40), stack.pages(prefix)
    stack.settle()
    figures = stack.summary(world=world, prefix=prefix, sent=3)
    stack.report("worker-sigkill", **figures, capsys=capsys)

    attempts = [a for a in stack.receiver.snapshot() if a.path == hanging]
    assert [a.outcome for a in attempts] == ["aborted", "delivered"], attempts
    assert attempts[1].at > killed_at
    assert figures["lost"] == 0 and figures["duplicates"] == 0
    rows = stack.sql(
        f"SELECT status, attempts FROM {notification} WHERE dedup_key LIKE 'page:%%' ORDER BY id"
    )
    assert len(rows) == 3 and all(status == "sent" for status, _ in rows), rows
