"""One person's chat webhook hangs: their delivery waits out its 5-second timeout (and is
retried later), while everybody else's pages go out at once."""

import time

import pytest

from bench import harness
from portal.notifications.channels import WEBHOOK_TIMEOUT_SECONDS
from tests.reliability.conftest import table

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

OTHERS = 8


def test_slow_chat_webhook_does_not_delay_other_pages(stack, capsys):
    prefix = "slo"
    world = stack.world(prefix=prefix, count=OTHERS + 1)
    slow = f"/{prefix}/a/0"
    stack.receiver.hang(slow, 60)  # until the sender gives up
    port = stack.web(wait=False)
    stack.procs.worker("worker", concurrency=4, wait=False)
    stack.procs.beat("beat", wait=False)
    stack.procs.wait_ready()

    deadline = time.monotonic() + 30
    assert stack.send_until_accepted(
        port, world["path"], stack.body(world, 0, prefix), deadline=deadline
    ) == [202]
    assert harness.wait_until(
        lambda: any(a.path == slow for a in stack.receiver.snapshot()), timeout=20
    ), "the slow webhook was never called"
    sent_at = {}
    for i in range(1, OTHERS + 1):
        sent_at[i] = time.monotonic()
        body = stack.body(world, i, prefix)
        assert stack.send_until_accepted(port, world["path"], body, deadline=deadline) == [202]

    assert stack.wait_for_pages(prefix, OTHERS, timeout=30), stack.pages(prefix)
    arrivals = {a.path: a.at for a in stack.receiver.delivered(f"/{prefix}/a/")}
    waits = [arrivals[f"/{prefix}/a/{i}"] - sent_at[i] for i in sent_at]
    assert max(waits) < WEBHOOK_TIMEOUT_SECONDS, waits  # nobody waited for the slow one
    # Indeed everyone else was paged while the slow webhook still hung.
    assert harness.wait_until(
        lambda: all(a.done_at for a in stack.receiver.snapshot() if a.path == slow), timeout=15
    )
    (slow_attempt,) = [a for a in stack.receiver.snapshot() if a.path == slow]
    assert slow_attempt.outcome == "aborted"  # the sender gave up after its timeout
    assert max(arrivals.values()) < slow_attempt.done_at, (waits, slow_attempt)

    # The slow one timed out, is recorded and waits for its retry: not lost, not sent twice.
    notification = table("portal.notifications.models.Notification")
    assert harness.wait_until(
        lambda: (
            stack.sql(
                f"SELECT status FROM {notification} WHERE status <> 'sent' AND last_error <> ''"
            )
            == [("pending",)]
        ),
        timeout=WEBHOOK_TIMEOUT_SECONDS + 10,
    )
    (error,) = stack.sql(f"SELECT last_error FROM {notification} WHERE status = 'pending'")[0]
    assert "timed out" in error
    figures = stack.summary(world=world, prefix=prefix, sent=OTHERS + 1)
    figures["lost"] -= 1  # the slow person's page is not lost: it is pending its retry
    stack.report("slow-webhook", **figures, capsys=capsys)
    assert figures["paged"] == OTHERS and figures["duplicates"] == 0 and figures["lost"] == 0
