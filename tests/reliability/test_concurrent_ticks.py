"""Two beats and two workers at once: every due incident is claimed by exactly one tick
(``SELECT … FOR UPDATE SKIP LOCKED``) and every page has a unique key, so nobody is paged
twice even when ticks run side by side."""

import pytest
import redis
from celery import Celery

from bench import harness
from tests.reliability.conftest import table

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

INCIDENTS = 60


def test_two_beats_and_two_workers_page_once(stack, capsys):
    prefix = "two"
    world = stack.world(prefix=prefix, count=INCIDENTS, people_per_step=2)
    port = stack.web()
    bodies = [(world["path"], stack.body(world, i, prefix)) for i in range(INCIDENTS)]
    statuses = harness.post_many(port, bodies, concurrency=4)
    assert [s for s, _, _ in statuses] == [202] * INCIDENTS
    # Open the incidents (the inbox drain a worker would run), then forget the doorbells and
    # the kicks queued on trigger: every incident is now due and only ticks remain.
    assert stack.drain_inbox() == INCIDENTS
    redis.Redis.from_url(stack.redis.url).flushdb()

    for name in ("worker-1", "worker-2"):
        stack.procs.worker(name, concurrency=4, wait=False)
    for name in ("beat-1", "beat-2"):
        stack.procs.beat(name, wait=False)
    stack.procs.wait_ready()
    # And a volley of extra ticks, so that several certainly run at the same moment.
    app = Celery(broker=stack.redis.url)
    for _ in range(8):
        app.send_task("incidents.tasks.escalation_tick")

    expected = INCIDENTS * 2
    assert harness.wait_until(
        lambda: len(stack.pages(prefix, "a")) + len(stack.pages(prefix, "c")) >= expected,
        timeout=45,
    )
    stack.settle()
    figures = stack.summary(world=world, prefix=prefix, sent=INCIDENTS, steps=("a", "c"))
    stack.report("two-beats-two-workers", **figures, capsys=capsys)
    assert figures["lost"] == 0 and figures["duplicates"] == 0

    # Each incident's first step fired once: one escalation event, one page per person.
    event = table("incidents.models.IncidentEvent")
    incident = table("incidents.models.Incident")
    per_incident = stack.sql(
        f"SELECT e.incident_id, count(*) FROM {event} e JOIN {incident} i ON i.id = e.incident_id "
        "WHERE i.integration_id = %s AND e.kind = 'escalation' GROUP BY e.incident_id",
        [world["integration_id"]],
    )
    assert len(per_incident) == INCIDENTS and {n for _, n in per_incident} == {1}, per_incident
    # Both workers ran ticks (side by side, not one after the other on one worker).
    workers = [p for name, p in stack.procs.procs.items() if name.startswith("worker")]
    assert all(b"escalation_tick" in p.log.read_bytes() for p in workers)
