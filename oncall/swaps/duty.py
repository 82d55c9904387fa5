"""Who is on call when, and who is away, as the swap rules need it: every person's pieces of
the final schedules (from the rotas area, ``oncall.selectors``: nothing here re-implements
the schedule engine) and their time off."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from oncall import engine
from oncall import selectors as rota
from oncall.models import LayerParticipant, Override, Schedule
from oncall.swaps import rules
from oncall.swaps.models import TimeOff

Span = rules.Span


@dataclass(frozen=True)
class Duty:
    """``user_id`` is on call for ``schedule`` during ``[start, end)`` (final schedule)."""

    start: datetime
    end: datetime
    user_id: int
    schedule: Schedule


def duties(*, user_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Duty]]:
    """Every person's pieces of every final schedule over ``[start, end)``, by user id.
    Four queries whatever the number of people and schedules."""
    ids = set(user_ids)
    result: dict[int, list[Duty]] = defaultdict(list)
    if not ids:
        return result
    in_layers = (
        LayerParticipant.objects.filter(user_id__in=ids, layer__valid_from__lt=end)
        .filter(Q(layer__valid_until__isnull=True) | Q(layer__valid_until__gt=start))
        .values("layer__schedule_id")
    )
    in_overrides = Override.objects.filter(user_id__in=ids, start__lt=end, end__gt=start).values(
        "schedule_id"
    )
    schedules = list(
        Schedule.objects.filter(Q(pk__in=in_layers) | Q(pk__in=in_overrides)).select_related("team")
    )
    loaded = rota.load_schedules(schedules=schedules, start=start, end=end, with_users=False)
    for schedule in schedules:
        final = engine.final_schedule(
            loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), start, end
        )
        for interval in final:
            if interval.user in ids:
                result[interval.user].append(
                    Duty(interval.start, interval.end, interval.user, schedule)
                )
    for items in result.values():
        items.sort(key=lambda d: d.start)
    return result


def time_off_by_user(
    *, user_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[TimeOff]]:
    result: dict[int, list[TimeOff]] = defaultdict(list)
    for row in TimeOff.objects.filter(user_id__in=list(user_ids), start__lt=end, end__gt=start):
        result[row.user_id].append(row)
    return result


def holds(*, schedule: Schedule, user_id: int, start: datetime, end: datetime) -> bool:
    """Whether ``user_id`` is on call for ``schedule`` at every moment of ``[start, end)``
    according to the final schedule as it is now."""
    pieces = rota.schedule_final(schedule=schedule, start=start, end=end)
    return rules.held_throughout(
        [(p.start, p.end, p.user_id) for p in pieces], user_id, (start, end)
    )
