"""Celery entry points of the incidents area: thin, they take ids and call the engine."""

from celery import shared_task

from incidents import escalation, heartbeats, ingest


@shared_task(acks_late=True, ignore_result=True)
def escalate_incident(incident_id: int) -> bool:
    """Kicked on commit when an incident triggers: escalate it now if it is due. The beat tick
    does the same work, so a lost kick only costs up to one tick of delay."""
    return escalation.escalate_due(incident_id=incident_id)


@shared_task(ignore_result=True, expires=10)
def escalation_tick() -> int:
    """Beat, every 2 s: escalate every incident whose next step is due."""
    return escalation.escalation_tick()


@shared_task(ignore_result=True, expires=10)
def inbox_drain() -> int:
    """The doorbell (rung by the webhook once its payload is stored) and the beat, every 2 s:
    ingest every payload waiting in the inbox. Lost or duplicated runs cost nothing: the
    next one (or the one already running) does the work, and running twice is safe."""
    return ingest.inbox_drain()


@shared_task(ignore_result=True, expires=60)
def check_heartbeats() -> list[int]:
    """Beat, every 30 s: open an incident for every heartbeat that missed its ping."""
    return heartbeats.heartbeats_check()
