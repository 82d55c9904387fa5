"""The on-call history as it really was: a team's schedules, their final schedules over a past
period (overrides and swaps included) and who was on their rotas then. Read by the load
reports (``portal.reports``), which do the arithmetic on the intervals."""

from __future__ import annotations

from datetime import datetime

from oncall import engine
from oncall import selectors as rota
from oncall.models import Layer, Schedule
from portal.people.models import Team


def schedules_of_team(*, team: Team) -> list[Schedule]:
    """The team's schedules by name (ties by id): one query."""
    return list(Schedule.objects.filter(team=team).order_by("name", "pk"))


def final_schedules(
    *, schedules: list[Schedule], start: datetime, end: datetime
) -> tuple[rota.Loaded, dict[int, list[engine.Interval]]]:
    """Each schedule's final schedule over ``[start, end)`` (``{schedule id: intervals}``)
    and what was loaded for it (layer versions with participants, overrides, users): three
    queries for all the schedules."""
    loaded = rota.load_schedules(schedules=schedules, start=start, end=end)
    finals = {
        s.pk: engine.final_schedule(
            loaded.engine_layers(s.pk), loaded.engine_overrides(s.pk), start, end
        )
        for s in schedules
    }
    return loaded, finals


def _in_force(layer: Layer, start: datetime, end: datetime) -> bool:
    """Whether a layer version (with its own start and end dates) meets ``[start, end)``."""
    bounds = rota.engine_layer(layer, participants=())
    return (bounds.starts_at is None or bounds.starts_at < end) and (
        bounds.ends_at is None or bounds.ends_at > start
    )


def rota_user_ids(
    *, loaded: rota.Loaded, schedules: list[Schedule], start: datetime, end: datetime
) -> set[int]:
    """Everybody in a layer version of these schedules in force during ``[start, end)``
    (from what :func:`final_schedules` loaded: no query)."""
    on_rota: set[int] = set()
    for schedule in schedules:
        for layer in loaded.layers.get(schedule.pk, []):
            if _in_force(layer, start, end):
                on_rota.update(p.user_id for p in layer.participants.all())
    return on_rota
