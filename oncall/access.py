"""Who may see and change rotas: schedules, their layers and overrides.

The only place in ``oncall`` answering it, for pages, the API, panels and template tags
alike; it builds on the team roles of :mod:`portal.people.access`. Everyone signed in reads
schedules and who is on call; the team's members (and staff) add overrides for themselves;
its managers (and staff) change the schedule, its layers and anyone's overrides. An override
is changed or removed by its person or its creator (while in the team) or a manager. Rota
preferences are each person's own: the pages and API only ever load the viewer's.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from oncall import selectors
from oncall.models import Override, Schedule
from portal.people.access import can_manage_team, can_see_team


def schedules_visible_to(*, user) -> QuerySet[Schedule]:
    """The schedules whose rota ``user`` may read: every one for anyone signed in."""
    if not user.is_authenticated:
        return Schedule.objects.none()
    return Schedule.objects.all()


def is_rota_member(*, user, schedule: Schedule) -> bool:
    """Members of the schedule's team (and staff) put themselves on call and ask for cover."""
    return can_see_team(user=user, team=schedule.team)


def can_manage_schedule(*, user, schedule: Schedule) -> bool:
    """Managers of the schedule's team (and staff) change it, its layers and any override."""
    return can_manage_team(user=user, team=schedule.team)


def can_change_override(*, user, override: Override, schedule: Schedule) -> bool:
    """A manager, or (while in the team) the override's person or its creator."""
    if can_manage_schedule(user=user, schedule=schedule):
        return True
    mine = user.pk in (override.user_id, override.created_by_id)
    return mine and is_rota_member(user=user, schedule=schedule)


def schedule_for_manager_or_404(*, user, pk: int) -> Schedule:
    """The schedule, if the user may change it; 404 unknown, 403 otherwise."""
    schedule = selectors.schedule_detail(pk=pk)
    if not can_manage_schedule(user=user, schedule=schedule):
        raise PermissionDenied("Only the team's managers can change this schedule.")
    return schedule


def schedule_for_member_or_404(*, user, pk: int) -> Schedule:
    """The schedule, if the user is in its team (or staff); 404 unknown, 403 otherwise."""
    schedule = selectors.schedule_detail(pk=pk)
    if not is_rota_member(user=user, schedule=schedule):
        raise PermissionDenied("Only members of the team can change its rota.")
    return schedule


def override_for_changer_or_404(*, user, schedule_pk: int, pk: int, verb: str) -> Override:
    """The schedule's override ``pk``, if the user may change it (``verb``: "edit",
    "remove", for the refusal); 404 unknown, 403 otherwise. ``override.schedule`` is loaded."""
    schedule = schedule_for_member_or_404(user=user, pk=schedule_pk)
    override = get_object_or_404(Override, pk=pk, schedule=schedule)
    override.schedule = schedule
    if not can_change_override(user=user, override=override, schedule=schedule):
        raise PermissionDenied(f"Only managers can {verb} other people's overrides.")
    return override
