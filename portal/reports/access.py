"""Who may see what in the reports: a team's reports are its members' and staff's (see
``portal.people.access``); within them, only managers and staff see other people's rows."""

from django.shortcuts import get_object_or_404

from portal.people.models import Team
from portal.reports.load import PersonLoad, TeamLoad
from portal.reports.models import Holiday


def holiday_of_team_or_404(*, team: Team, pk: int) -> Holiday:
    """One of the team's holidays (the caller checked the team); 404 for any other."""
    return get_object_or_404(Holiday, team=team, pk=pk)


def visible_people(*, load: TeamLoad, user, can_manage: bool) -> list[PersonLoad]:
    """The rows of the load review the user may see: managers and
    staff see everybody's row; anyone else only their own."""
    if can_manage:
        return load.people
    return [p for p in load.people if p.user.pk == user.pk]
