"""Writes about rotas: schedules, overrides and personal reminder settings (layers are in
:mod:`oncall.layer_services`). Each runs in one transaction and keeps the invariants:

* a schedule nobody has been on call on may be deleted; one with history stays;
* an override never changes the past, and its person is a member of the schedule's team.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncall import engine
from oncall.layer_services import layer_update, require_members
from oncall.models import (
    Override,
    RotaPreferences,
    Schedule,
    feed_token_hash,
    new_token,
)
from oncall.selectors import engine_layer
from portal.people.models import Team

# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


def _check_unique_name(*, team: Team, name: str, exclude_pk: int | None = None) -> None:
    clash = Schedule.objects.filter(team=team, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"{team.name} already has a schedule called {name}."})


@transaction.atomic
def schedule_create(
    *, team: Team, name: str, time_zone: str = "UTC", description: str = ""
) -> Schedule:
    schedule = Schedule(team=team, name=name, time_zone=time_zone, description=description)
    schedule.full_clean(validate_constraints=False)
    _check_unique_name(team=team, name=name)
    schedule.save()
    return schedule


@transaction.atomic
def schedule_update(
    *,
    schedule: Schedule,
    name: str,
    time_zone: str,
    description: str = "",
    by=None,
    now: datetime | None = None,
) -> Schedule:
    """Rename or re-describe a schedule, or move it to another zone. A new zone applies from
    now: each current layer gets a new version in the new zone."""
    schedule = (
        Schedule.objects.select_for_update(of=("self",)).select_related("team").get(pk=schedule.pk)
    )
    old_zone = schedule.time_zone
    schedule.name, schedule.time_zone, schedule.description = name, time_zone, description
    schedule.full_clean(validate_constraints=False)
    _check_unique_name(team=schedule.team, name=name, exclude_pk=schedule.pk)
    schedule.save(update_fields=["name", "time_zone", "description"])
    if time_zone != old_zone:
        for layer in schedule.layers.filter(valid_until__isnull=True):
            layer_update(layer=layer, time_zone=time_zone, by=by, now=now)
    return schedule


@transaction.atomic
def schedule_token_regenerate(*, schedule: Schedule) -> str:
    """A new feed token: subscriptions to the old URL stop working. Returns the token, which
    is shown once: only its hash is stored."""
    token = new_token()
    schedule.ical_token_hash = feed_token_hash(token)
    schedule.save(update_fields=["ical_token_hash"])
    return token


# Within any fortnight of a rotation with participants somebody is on call (active windows
# repeat weekly), so looking this far into a layer version's past is enough to find its first
# shift.
_FIRST_SHIFT_HORIZON = timedelta(days=15)


def _has_oncall_history(*, schedule: Schedule, now: datetime) -> bool:
    """Whether anybody has been on call on the schedule before ``now``: an override that has
    started, or a layer version with participants whose rotation was in force before ``now``."""
    if schedule.overrides.filter(start__lt=now).exists():
        return True
    versions = schedule.layers.filter(valid_from__lt=now).prefetch_related("participants")
    for version in versions:
        rotation = engine_layer(version)
        if not rotation.participants:
            continue
        first_shift, _ = engine.shift_bounds(rotation, 0)
        lo = max(rotation.starts_at, first_shift)
        hi = now if rotation.ends_at is None else min(rotation.ends_at, now)
        if hi <= lo:
            continue
        if engine.layer_shifts(rotation, lo, min(hi, lo + _FIRST_SHIFT_HORIZON)):
            return True
    return False


@transaction.atomic
def schedule_delete(*, schedule: Schedule, now: datetime | None = None) -> None:
    """Delete a schedule that nobody has been on call on yet (one made by mistake), with its
    layers, overrides and swap requests. A schedule with on-call history stays: reports and
    pay rely on it (removing its layers stops it from now on). Nor is a schedule deleted while
    an escalation policy pages it: the step would quietly lose its target."""
    now = now or timezone.now()
    schedule = (
        Schedule.objects.select_for_update(of=("self",)).select_related("team").get(pk=schedule.pk)
    )
    policies = sorted(
        {step.policy.name for step in schedule.escalation_steps.select_related("policy")}
    )
    if policies:
        names = ", ".join(policies)
        raise ValidationError(
            f"Escalation policy {names} pages this schedule: take it out of the policy first."
        )
    if _has_oncall_history(schedule=schedule, now=now):
        raise ValidationError(
            "People have been on call on this schedule, and reports and pay rely on that "
            "history, so it cannot be deleted. Remove its layers to stop it from now on."
        )
    schedule.delete()


# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------------


@transaction.atomic
def override_create(
    *,
    schedule: Schedule,
    user,
    start: datetime,
    end: datetime,
    reason: str = "",
    by=None,
    now: datetime | None = None,
) -> Override:
    """Put ``user`` on call for the schedule from ``start`` to ``end``."""
    now = now or timezone.now()
    override = Override(
        schedule=schedule, user=user, start=start, end=end, reason=reason, created_by=by
    )
    override.full_clean(exclude=["schedule", "user", "created_by"])
    if end <= now:
        raise ValidationError({"end": "This override would already be over: it must end later."})
    require_members(team=schedule.team, users=[user], field="user")
    override.save()
    return override


@transaction.atomic
def override_update(
    *,
    override: Override,
    user,
    start: datetime,
    end: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> Override:
    """Change an override, never its past. One that has not started may change wholly but not
    move into the past; a running one keeps its person and its start (its end, which must stay
    later than now, and its reason may change); a finished one is history and stays. The rules
    of :func:`override_create` apply too: it ends after it starts, and a new person is a member
    of the team. An override that realises a swap or cover request changes with the request
    (revert it), not here."""
    now = now or timezone.now()
    override = (
        Override.objects.select_for_update(of=("self",))
        .select_related("schedule__team")
        .get(pk=override.pk)
    )
    if override.end <= now:
        raise ValidationError("This override is over: it is part of the history now.")
    if Override.objects.filter(pk=override.pk, swap_link__isnull=False).exists():
        raise ValidationError(
            "This override realises a swap or cover request: revert the request instead."
        )
    errors: dict[str, list[str]] = {}
    if override.start < now:
        if start != override.start:
            errors.setdefault("start", []).append(
                "This override has started: its start is part of the history now."
            )
        if user.pk != override.user_id:
            errors.setdefault("user", []).append(
                "This override has started: remove it (that ends it now) and add a new one "
                "for someone else."
            )
    elif start < now:
        errors.setdefault("start", []).append(
            "An override cannot be moved into the past: start it now or later."
        )
    changed_person = user.pk != override.user_id
    override.user, override.start, override.end, override.reason = user, start, end, reason
    try:
        override.full_clean(exclude=["schedule", "user", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if end <= now and "end" not in errors:
        errors["end"] = ["This override would already be over: it must end later."]
    if changed_person and "user" not in errors:
        try:
            require_members(team=override.schedule.team, users=[user], field="user")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    override.save(update_fields=["user", "start", "end", "reason"])
    return override


@transaction.atomic
def override_remove(*, override: Override, now: datetime | None = None) -> Override | None:
    """Cancel an override that has not started, or end a running one now. A finished
    override is history and stays."""
    now = now or timezone.now()
    override = Override.objects.select_for_update().get(pk=override.pk)
    if override.start >= now:
        override.delete()
        return None
    if override.end <= now:
        raise ValidationError("This override is over: it is part of the history now.")
    override.end = now
    override.save(update_fields=["end"])
    return override


# --------------------------------------------------------------------------------------------
# Personal preferences
# --------------------------------------------------------------------------------------------


@transaction.atomic
def preferences_for(*, user) -> RotaPreferences:
    """The user's reminder and feed settings, created with the defaults on first use."""
    prefs, _ = RotaPreferences.objects.get_or_create(user=user)
    return prefs


@transaction.atomic
def preferences_update(*, user, reminder_lead_minutes: int, day_before: bool) -> RotaPreferences:
    prefs, _ = RotaPreferences.objects.select_for_update().get_or_create(user=user)
    prefs.reminder_lead_minutes = reminder_lead_minutes
    prefs.day_before = day_before
    prefs.full_clean(exclude=["user"], validate_constraints=False)
    prefs.save(update_fields=["reminder_lead_minutes", "day_before"])
    return prefs


@transaction.atomic
def preferences_token_regenerate(*, user) -> tuple[RotaPreferences, str]:
    """A new address for the person's feed (the old one stops). Returns the preferences and
    the token, which is shown once: only its hash is stored."""
    prefs, _ = RotaPreferences.objects.select_for_update().get_or_create(user=user)
    token = new_token()
    prefs.ical_token_hash = feed_token_hash(token)
    prefs.save(update_fields=["ical_token_hash"])
    return prefs, token
