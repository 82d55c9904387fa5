"""Writes about a schedule's layers: adding one, editing it, its participants (add, remove,
reorder), moving it up or down and removing it. Each runs in one transaction and keeps the
invariants:

* editing a layer never changes the past: the open version is closed at the moment of the edit
  and a new version starts then (a version that has not started yet is simply replaced);
* the person on call at the moment of an edit keeps the shift if still a participant; if they
  were removed, the next remaining participant in the old order takes the rest of it;
* everybody in a layer (or given an override, :mod:`oncall.services`) is a member of the
  schedule's team (:func:`require_members`).
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from oncall import engine
from oncall.models import Layer, LayerParticipant, Schedule
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


def require_members(*, team: Team, users: list, field: str) -> None:
    """Refuse (ValidationError on ``field``) anybody in ``users`` not in the team."""
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
    require_members(team=schedule.team, users=newcomers, field="participants")


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
