"""Writes about rotas. Each runs in one transaction and keeps the invariants:

* editing a layer never changes the past: the open version is closed at the moment of the edit
  and a new version starts then (a version that has not started yet is simply replaced);
* the person on call at the moment of an edit keeps the shift if still a participant; if they
  were removed, the next remaining participant in the old order takes the rest of it;
* everybody in a layer or given an override is a member of the schedule's team.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from oncall import engine
from oncall.models import (
    Layer,
    LayerParticipant,
    Override,
    RotaPreferences,
    Schedule,
    feed_token_hash,
    new_token,
)
from oncall.selectors import engine_layer
from portal.people.models import Membership, Team

User = get_user_model()

# What a layer edit may change; the rest (schedule, lineage, validity) is the service's.
LAYER_FIELDS = (
    "name",
    "position",
    "time_zone",
    "shift_length",
    "shift_unit",
    "rotation_start",
    "handoff_time",
    "active_days",
    "active_start",
    "active_end",
    "start_date",
    "end_date",
)


def _require_members(*, team: Team, users: list, field: str) -> None:
    member_ids = set(
        Membership.objects.filter(team=team, user__in=[u.pk for u in users]).values_list(
            "user_id", flat=True
        )
    )
    outsiders = [u for u in users if u.pk not in member_ids]
    if outsiders:
        names = ", ".join(u.get_username() for u in outsiders)
        verb = "is" if len(outsiders) == 1 else "are"
        raise ValidationError(
            {field: f"{names} {verb} not a member of {team.name}: add them to the team first."}
        )


def _check_participants(
    *, schedule: Schedule, participants: list, already: frozenset[int] = frozenset()
) -> None:
    """Nobody twice, and everybody newly added a member of the team (someone who left the team
    but is still in the rotation can stay until a manager removes them)."""
    seen: set[int] = set()
    for user in participants:
        if user.pk in seen:
            raise ValidationError(
                {"participants": f"{user.get_username()} is in the rotation twice."}
            )
        seen.add(user.pk)
    newcomers = [u for u in participants if u.pk not in already]
    _require_members(team=schedule.team, users=newcomers, field="participants")


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
# Layers
# --------------------------------------------------------------------------------------------


def _validate_layer(
    layer: Layer, participants: list, already: frozenset[int] = frozenset()
) -> None:
    errors: dict[str, list] = {}
    try:
        # Constraints are checked by the database; the one open version per lineage is
        # briefly two while an edit closes the old version.
        layer.full_clean(exclude=["schedule"], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        _check_participants(schedule=layer.schedule, participants=participants, already=already)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)


def _save_participants(layer: Layer, participants: list) -> None:
    LayerParticipant.objects.bulk_create(
        [LayerParticipant(layer=layer, user=u, position=i) for i, u in enumerate(participants)]
    )


@transaction.atomic
def layer_create(
    *,
    schedule: Schedule,
    name: str,
    rotation_start,
    participants: list,
    shift_length: int = 1,
    shift_unit: str = Layer.Unit.WEEKS,
    handoff_time: time = time(9, 0),
    active_days: list[int] | None = None,
    active_start: time | None = None,
    active_end: time | None = None,
    start_date=None,
    end_date=None,
    by=None,
    now: datetime | None = None,
) -> Layer:
    """A new layer on top of the schedule's current layers, in force from now."""
    now = now or timezone.now()
    schedule = (
        Schedule.objects.select_for_update(of=("self",)).select_related("team").get(pk=schedule.pk)
    )
    top = schedule.layers.filter(valid_until__isnull=True).aggregate(top=Max("position"))["top"]
    layer = Layer(
        schedule=schedule,
        name=name,
        position=0 if top is None else top + 1,
        time_zone=schedule.time_zone,
        shift_length=shift_length,
        shift_unit=shift_unit,
        rotation_start=rotation_start,
        handoff_time=handoff_time,
        active_days=sorted(active_days) if active_days else None,
        active_start=active_start,
        active_end=active_end,
        start_date=start_date,
        end_date=end_date,
        valid_from=now,
        created_by=by,
    )
    participants = list(participants)
    _validate_layer(layer, participants)
    layer.save()
    _save_participants(layer, participants)
    return layer


def _handover_offset(old: Layer, old_people: list[int], new: Layer, new_people: list[int], now):
    """The offset that keeps the person on call at ``now`` on call in the new version, or,
    when they were removed, gives the rest of the shift to the next remaining participant."""
    if not new_people:
        return 0
    new_rotation = engine_layer(new, participants=new_people)
    k_new = engine.shift_index_at(new_rotation, now)
    if k_new < 0:  # the rotation has not started: the first participant goes first
        return 0
    successor = None
    if old_people:
        old_rotation = engine_layer(old, participants=old_people)
        k_old = engine.shift_index_at(old_rotation, now)
        if k_old >= 0:
            i = (k_old + old.offset) % len(old_people)
            in_order = old_people[i:] + old_people[:i]  # the holder, then who follows them
            successor = next((u for u in in_order if u in new_people), None)
    if successor is None:
        successor = new_people[0]
    return (new_people.index(successor) - k_new) % len(new_people)


def _open_version(layer: Layer) -> Layer:
    """The layer's open version, with edits of the schedule's layers serialised on the
    schedule row. (Locking the version row itself would not do: a concurrent edit closes it,
    and the waiting statement would not see the version that edit opened.)"""
    Schedule.objects.select_for_update().filter(pk=layer.schedule_id).first()
    current = (
        Layer.objects.select_related("schedule__team")
        .filter(lineage=layer.lineage, valid_until__isnull=True)
        .first()
    )
    if current is None:
        raise ValidationError("This layer has been removed.")
    return current


@transaction.atomic
def layer_update(
    *,
    layer: Layer,
    participants: list | None = None,
    by=None,
    now: datetime | None = None,
    **changes,
) -> Layer:
    """Change a layer from now on and return its new open version (or the same one when
    nothing changed). ``participants``, when given, is the whole new rotation in order."""
    unknown = set(changes) - set(LAYER_FIELDS)
    if unknown:
        raise TypeError(f"layer_update() cannot change {sorted(unknown)}")
    now = now or timezone.now()
    current = _open_version(layer)
    old_people = list(current.participants.order_by("position").values_list("user_id", flat=True))
    if "active_days" in changes and changes["active_days"]:
        changes["active_days"] = sorted(changes["active_days"])
    elif "active_days" in changes:
        changes["active_days"] = None
    if participants is None:
        people = list(User.objects.filter(pk__in=old_people))
        people.sort(key=lambda u: old_people.index(u.pk))
    else:
        people = list(participants)
    new_people = [u.pk for u in people]
    if new_people == old_people and all(getattr(current, f) == v for f, v in changes.items()):
        return current

    new = Layer(
        schedule=current.schedule,
        lineage=current.lineage,
        offset=current.offset,
        valid_from=now,
        created_by=by,
        **{f: changes.get(f, getattr(current, f)) for f in LAYER_FIELDS},
    )
    _validate_layer(new, people, already=frozenset(old_people))
    new.offset = _handover_offset(current, old_people, new, new_people, now)

    if current.valid_from >= now:
        # Not in force yet (or started this very instant): no past to keep, replace it.
        current.participants.all().delete()
        new.pk, new.created_at = current.pk, current.created_at
        new.valid_from = current.valid_from
        new.save(force_update=True)
    else:
        current.valid_until = now
        current.save(update_fields=["valid_until"])
        new.save()
    _save_participants(new, people)
    return new


@transaction.atomic
def layer_participant_add(*, layer: Layer, user, by=None, now: datetime | None = None) -> Layer:
    current = _open_version(layer)
    people = list(current.participants.order_by("position").select_related("user"))
    users = [p.user for p in people]
    if any(u.pk == user.pk for u in users):
        raise ValidationError({"user": f"{user.get_username()} is already in {current.name}."})
    return layer_update(layer=current, participants=[*users, user], by=by, now=now)


@transaction.atomic
def layer_participant_remove(*, layer: Layer, user, by=None, now: datetime | None = None) -> Layer:
    current = _open_version(layer)
    users = [p.user for p in current.participants.order_by("position").select_related("user")]
    if not any(u.pk == user.pk for u in users):
        raise ValidationError({"user": f"{user.get_username()} is not in {current.name}."})
    return layer_update(
        layer=current, participants=[u for u in users if u.pk != user.pk], by=by, now=now
    )


@transaction.atomic
def layer_participant_move(
    *, layer: Layer, user, up: bool, by=None, now: datetime | None = None
) -> Layer:
    """Move a participant one place earlier (``up``) or later in the rotation order."""
    current = _open_version(layer)
    users = [p.user for p in current.participants.order_by("position").select_related("user")]
    index = next((i for i, u in enumerate(users) if u.pk == user.pk), None)
    if index is None:
        raise ValidationError({"user": f"{user.get_username()} is not in {current.name}."})
    other = index - 1 if up else index + 1
    if not 0 <= other < len(users):
        return current
    users[index], users[other] = users[other], users[index]
    return layer_update(layer=current, participants=users, by=by, now=now)


@transaction.atomic
def layer_move(*, layer: Layer, up: bool, by=None, now: datetime | None = None) -> Layer:
    """Swap the layer with the one above it (``up``: it then wins over that one) or below,
    from now on."""
    now = now or timezone.now()
    current = _open_version(layer)
    layers = list(
        Layer.objects.filter(schedule_id=current.schedule_id, valid_until__isnull=True).order_by(
            "position", "pk"
        )
    )
    index = next(i for i, x in enumerate(layers) if x.pk == current.pk)
    other_index = index + 1 if up else index - 1
    if not 0 <= other_index < len(layers):
        return current
    other = layers[other_index]
    mine, theirs = current.position, other.position
    if mine == theirs:  # never expected; keep the order well defined anyway
        theirs = mine + (1 if up else -1)
    layer_update(layer=other, position=mine, by=by, now=now)
    return layer_update(layer=current, position=theirs, by=by, now=now)


@transaction.atomic
def layer_remove(*, layer: Layer, now: datetime | None = None) -> None:
    """Stop the layer from now; its past shifts stay in the history."""
    now = now or timezone.now()
    current = _open_version(layer)
    if current.valid_from >= now:
        current.delete()
        return
    current.valid_until = now
    current.save(update_fields=["valid_until"])


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
    _require_members(team=schedule.team, users=[user], field="user")
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
            _require_members(team=override.schedule.team, users=[user], field="user")
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
