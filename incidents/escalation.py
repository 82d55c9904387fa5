"""The escalation engine: the database decides what is due, Celery only delivers.

State lives on the incident: ``escalation_level`` (the next step to fire),
``escalation_repeat`` (the pass, part of every page's dedup key), ``escalation_repeats_left``
and ``next_escalation_at``. Triggering sets ``next_escalation_at`` and kicks
``escalate_incident`` on commit; the beat tick (``escalation_tick``, every 2 s) claims due
incidents with ``SELECT … FOR UPDATE SKIP LOCKED`` so two ticks, or a tick and a kick, never
work on one incident at once. Pages go out through ``notify`` with the dedup key
``page:<incident>:<level>:<repeat>:<user>``, so even a replayed step pages nobody twice.

:func:`escalation_step` is the pure core: given the state, the resolved targets of every step
and ``now``, it says whom to page, what to log and when to come back. Tests drive it (and
the tick) with any clock by passing ``now``.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents import alert_details
from incidents.models import EscalationPolicy, EscalationStep, Incident, IncidentEvent
from incidents.timeline import event_add
from oncall.selectors import oncall_users_at
from portal.enqueue import enqueue_on_commit
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.names import person_name
from portal.people.selectors import team_managers, team_members
from portal.wording import possessive

logger = logging.getLogger(__name__)
User = get_user_model()

TICK_BATCH = 100
PAGE_LINK_SALT = "incidents.page-link"
PAGE_LINK_MAX_AGE = timedelta(hours=24)


# ------------------------------------------------------------------------------- pure core
@dataclass(frozen=True)
class StepTargets:
    """One step with its targets resolved to people at ``now``."""

    wait: timedelta
    user_ids: tuple[int, ...]
    # Why targets gave nobody, e.g. ("no one on call for Payments primary",).
    empty_reasons: tuple[str, ...] = ()
    # Who each person was paged as, e.g. {7: "on call for Payments primary"}.
    via: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class State:
    level: int
    repeat: int
    repeats_left: int


@dataclass(frozen=True)
class Page:
    level: int  # 0-based step index
    repeat: int
    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class Skip:
    level: int
    repeat: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Repeat:
    repeat: int


@dataclass
class Decision:
    actions: list = field(default_factory=list)  # Page, Skip, Repeat, in order
    state: State | None = None
    next_at: datetime | None = None
    # Set when the policy gave nobody at all: page the team's managers instead.
    fallback: str = ""
    exhausted: bool = False


def escalation_step(*, state: State, steps: list[StepTargets], now: datetime) -> Decision:
    """What to do when the incident's escalation is due at ``now``.

    The step at ``state.level`` fires: its people are paged and the next step is due after its
    wait. A step that resolves to nobody is logged and skipped at once. Past the last step, the
    policy starts over while repeats are left; then escalation ends. A policy without steps, or
    a whole pass of steps that resolve to nobody, falls back to the team's managers.
    """
    decision = Decision()
    if not steps:
        decision.fallback = "no_steps"
        decision.state = State(0, state.repeat, 0)
        decision.exhausted = True
        return decision
    level, repeat, left = state.level, state.repeat, state.repeats_left
    empty_run = 0
    while True:
        if level >= len(steps):
            if left <= 0:
                decision.exhausted = True
                decision.state = State(level, repeat, 0)
                return decision
            level, repeat, left = 0, repeat + 1, left - 1
            decision.actions.append(Repeat(repeat))
        step = steps[level]
        if step.user_ids:
            decision.actions.append(Page(level, repeat, step.user_ids))
            decision.state = State(level + 1, repeat, left)
            decision.next_at = now + step.wait
            return decision
        decision.actions.append(Skip(level, repeat, step.empty_reasons or ("no one to page",)))
        empty_run += 1
        level += 1
        if empty_run >= len(steps):
            decision.fallback = "nobody"
            decision.state = State(len(steps), repeat, 0)
            decision.exhausted = True
            return decision


# ------------------------------------------------------------------------- resolving targets
def _dedupe(ids: list[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(ids))


def resolve_step(step: EscalationStep, *, team, at: datetime) -> StepTargets:
    """The people a step pages at ``at``: schedules' on-call people, named people, the team's
    managers and/or the whole team."""
    return targets_from(
        step,
        team=team,
        oncall={s.pk: oncall_users_at(schedule=s, at=at) for s in step.schedules.all()},
        managers=lambda: list(team_managers(team=team)),
        members=lambda: list(team_members(team=team)),
    )


def targets_from(step: EscalationStep, *, team, oncall: dict, managers, members) -> StepTargets:
    """The rule of :func:`resolve_step` over people already known: ``oncall`` maps each of the
    step's schedules to its on-call people at that moment; ``managers`` and ``members`` give
    the team's active managers and members (called only when the step names them). Pages
    and the catalog resolve many steps at once with it in a fixed number of queries."""
    ids: list[int] = []
    via: dict[int, str] = {}
    empty: list[str] = []
    for schedule in step.schedules.all():
        people = [u for u in oncall.get(schedule.pk, []) if u.is_active]
        if not people:
            empty.append(f"no one on call for {schedule.name}")
        for user in people:
            ids.append(user.pk)
            via.setdefault(user.pk, f"on call for {schedule.name}")
    for user in step.users.all():
        if user.is_active:
            ids.append(user.pk)
            via.setdefault(user.pk, "named in the policy")
        else:
            empty.append(f"{possessive(person_name(user))} account is disabled")
    if step.notify_managers:
        pks = [u.pk for u in managers()]
        if not pks:
            empty.append(f"{team.name} has no managers")
        for pk in pks:
            ids.append(pk)
            via.setdefault(pk, f"manager of {team.name}")
    if step.notify_team:
        pks = [u.pk for u in members()]
        if not pks:
            empty.append(f"{team.name} has no members")
        for pk in pks:
            ids.append(pk)
            via.setdefault(pk, f"member of {team.name}")
    return StepTargets(
        wait=timedelta(minutes=step.wait_minutes),
        user_ids=_dedupe(ids),
        empty_reasons=tuple(empty) if not ids else (),
        via=via,
    )


def _resolve_policy(policy: EscalationPolicy | None, at: datetime) -> list[StepTargets]:
    if policy is None:
        return []
    steps = policy.steps.prefetch_related("schedules", "users").order_by("position", "pk")
    return [resolve_step(step, team=policy.team, at=at) for step in steps]


# ------------------------------------------------------------------------------ page links
def page_link_token(*, incident_id: int, user_id: int) -> str:
    return signing.dumps({"i": incident_id, "u": user_id}, salt=PAGE_LINK_SALT, compress=True)


def page_link_read(token: str) -> tuple[int, int]:
    """(incident id, user id) of a page link; raises ``signing.BadSignature`` (and its
    subclass ``SignatureExpired``) for a forged or stale link."""
    data = signing.loads(token, salt=PAGE_LINK_SALT, max_age=PAGE_LINK_MAX_AGE.total_seconds())
    return int(data["i"]), int(data["u"])


def page_link_path(*, incident_id: int, user_id: int) -> str:
    return reverse(
        "incidents:respond",
        args=[page_link_token(incident_id=incident_id, user_id=user_id)],
    )


# ----------------------------------------------------------------------------------- paging
def page_dedup_key(*, incident_id: int, level: int, repeat: int, user_id: int) -> str:
    return f"page:{incident_id}:{level}:{repeat}:{user_id}"


def _page(incident: Incident, user, *, level: int, repeat: int, why: str, now: datetime) -> None:
    link = page_link_path(incident_id=incident.pk, user_id=user.pk)
    services = ", ".join(s.name for s in incident.services.all()) or incident.team.name
    body = (
        f"{incident.severity_label} incident #{incident.pk} for {services}, triggered "
        f"{incident.triggered_at:%Y-%m-%d %H:%M} UTC.\n"
        f"You are paged as {why}."
    )
    alerts = incident.alerts.order_by("status", "-received_at", "pk")
    shown = list(alerts[: alert_details.TEXT_ALERTS + 1])
    if shown:
        total = len(shown) if len(shown) <= alert_details.TEXT_ALERTS else alerts.count()
        body += "\n\nAlerts:\n" + alert_details.alerts_text(shown, total=total)
    notify(
        user=user,
        kind=Kind.PAGE,
        dedup_key=page_dedup_key(
            incident_id=incident.pk, level=level, repeat=repeat, user_id=user.pk
        ),
        subject=f"[{incident.severity_label}] #{incident.pk} {incident.title}",
        body=body,
        url=link,
        links=[("Acknowledge or resolve", link), ("Incident", incident.get_absolute_url())],
        incident_id=incident.pk,
    )
    event_add(
        incident=incident,
        kind=IncidentEvent.Kind.PAGE,
        message=f"Paged {person_name(user)} ({why}).",
        at=now,
        target=user,
        data={"level": level, "repeat": repeat},
    )


def _page_managers(incident: Incident, *, reason: str, repeat: int, now: datetime, due_at):
    team = incident.team
    managers = list(team_managers(team=team).select_related("profile"))
    lag_ms = _lag_ms(now, due_at)
    if not managers:
        event_add(
            incident=incident,
            kind=IncidentEvent.Kind.NOBODY,
            message=f"{reason} {team.name} has no managers either: nobody was paged.",
            at=now,
            due_at=due_at,
            lag_ms=lag_ms,
        )
        return
    event_add(
        incident=incident,
        kind=IncidentEvent.Kind.ESCALATION,
        message=f"{reason} Paging {possessive(team.name)} managers instead.",
        at=now,
        due_at=due_at,
        lag_ms=lag_ms,
        data={"level": 0, "repeat": repeat, "fallback": True},
    )
    for user in managers:
        _page(incident, user, level=0, repeat=repeat, why=f"manager of {team.name}", now=now)


def _lag_ms(now: datetime, due_at: datetime | None) -> int | None:
    if due_at is None:
        return None
    return max(0, int((now - due_at).total_seconds() * 1000))


def _escalate(incident: Incident, now: datetime) -> None:
    """Fire what is due for one locked, triggered incident."""
    policy = incident.escalation_policy
    due_at = incident.next_escalation_at
    steps = _resolve_policy(policy, now)
    decision = escalation_step(
        state=State(
            incident.escalation_level,
            incident.escalation_repeat,
            incident.escalation_repeats_left,
        ),
        steps=steps,
        now=now,
    )
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={pk for a in decision.actions if isinstance(a, Page) for pk in a.user_ids}
        ).select_related("profile")
    }
    for action in decision.actions:
        if isinstance(action, Repeat):
            event_add(
                incident=incident,
                kind=IncidentEvent.Kind.ESCALATION,
                message=f"Nobody acknowledged: repeating {policy.name} (pass {action.repeat + 1}).",
                at=now,
                data={"repeat": action.repeat},
            )
        elif isinstance(action, Skip):
            event_add(
                incident=incident,
                kind=IncidentEvent.Kind.NOBODY,
                message=(
                    f"Step {action.level + 1} of {policy.name} skipped: "
                    + "; ".join(action.reasons)
                    + "."
                ),
                at=now,
                due_at=due_at,
                lag_ms=_lag_ms(now, due_at),
                data={"level": action.level + 1, "repeat": action.repeat},
            )
        elif isinstance(action, Page):
            level = action.level + 1
            names = ", ".join(person_name(users[pk]) for pk in action.user_ids if pk in users)
            event_add(
                incident=incident,
                kind=IncidentEvent.Kind.ESCALATION,
                message=f"Step {level} of {policy.name}: paging {names}.",
                at=now,
                due_at=due_at,
                lag_ms=_lag_ms(now, due_at),
                data={"level": level, "repeat": action.repeat},
            )
            via = steps[action.level].via
            for pk in action.user_ids:
                if pk in users:
                    _page(
                        incident,
                        users[pk],
                        level=level,
                        repeat=action.repeat,
                        why=via.get(pk, "on the escalation policy"),
                        now=now,
                    )
    if decision.fallback:
        if policy is None:
            reason = f"{incident.team.name} has no escalation policy."
        elif decision.fallback == "no_steps":
            reason = f"{policy.name} has no steps."
        else:
            reason = f"Nobody to page in any step of {policy.name}."
        _page_managers(
            incident, reason=reason, repeat=decision.state.repeat, now=now, due_at=due_at
        )
    elif decision.exhausted:
        event_add(
            incident=incident,
            kind=IncidentEvent.Kind.ESCALATION,
            message=f"Escalation finished: every step of {policy.name} has run and nobody "
            "acknowledged.",
            at=now,
        )
    incident.escalation_level = decision.state.level
    incident.escalation_repeat = decision.state.repeat
    incident.escalation_repeats_left = decision.state.repeats_left
    incident.next_escalation_at = decision.next_at
    incident.save(
        update_fields=[
            "escalation_level",
            "escalation_repeat",
            "escalation_repeats_left",
            "next_escalation_at",
        ]
    )


def _due(now: datetime):
    return Incident.objects.filter(
        status=Incident.Status.TRIGGERED,
        next_escalation_at__isnull=False,
        next_escalation_at__lte=now,
    )


def _claim_and_escalate(queryset, now: datetime, claimed: list[int]) -> int | None:
    """In one transaction: lock the first due incident of ``queryset`` nobody else holds and
    escalate it. Returns its id (also appended to ``claimed`` before any work), or None when
    nothing was due."""
    with transaction.atomic():
        incident = (
            queryset.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "escalation_policy__team")
            .order_by("next_escalation_at", "pk")
            .first()
        )
        if incident is None:
            return None
        claimed.append(incident.pk)
        _escalate(incident, now)
        return incident.pk


def escalation_tick(*, now: datetime | None = None, limit: int = TICK_BATCH) -> int:
    """Escalate every due incident (up to ``limit``), one short transaction each. Safe to run
    concurrently: each incident is claimed by exactly one tick. Returns how many were done."""
    now = now or timezone.now()
    done = 0
    failed: list[int] = []
    while done + len(failed) < limit:
        claimed: list[int] = []
        try:
            incident_id = _claim_and_escalate(_due(now).exclude(pk__in=failed), now, claimed)
        except Exception:
            # One broken incident must not hold up the others: log it, skip it this tick.
            logger.exception("Escalation of incident %s failed", claimed[:1])
            if not claimed:
                break
            failed.append(claimed[0])
            continue
        if incident_id is None:
            break
        done += 1
    return done


def escalate_due(*, incident_id: int, now: datetime | None = None) -> bool:
    """Escalate one incident if it is due (the kick after triggering). False if it is not due,
    or a tick is working on it right now."""
    now = now or timezone.now()
    return _claim_and_escalate(_due(now).filter(pk=incident_id), now, []) is not None


# ------------------------------------------------------------------------------------ kicks
def kick_on_commit(incident: Incident) -> None:
    """Once the transaction commits, enqueue one escalation run of ``incident`` for speed.
    The beat tick is the safety net, so a broker outage is logged and swallowed, never
    raised into the request that triggered."""
    enqueue_on_commit(
        "incidents.tasks.escalate_incident",
        args=[incident.pk],
        what=f"escalation of incident {incident.pk}",
        meanwhile="the beat tick will pick it up.",
        log=logger,
    )


def tick_on_commit() -> None:
    """Once the transaction commits, enqueue one escalation tick: it pages for every
    incident that is due (say, those a drain of the inbox opened), each in a transaction of
    its own. The beat's tick is the safety net, so a broker outage is logged and swallowed."""
    enqueue_on_commit(
        "incidents.tasks.escalation_tick",
        what="escalation of new incidents",
        meanwhile="the beat tick will pick them up.",
        log=logger,
    )
