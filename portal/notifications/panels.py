"""Notifications panels (see ``portal.panels``): the people a manager cannot reach."""

from portal.notifications.selectors import is_unreachable, unreachable_user_ids
from portal.panels import Panel
from portal.people.access import managed_teams
from portal.people.models import Membership


def dashboard_panel(request, obj) -> Panel | None:
    """For a manager: members of their teams with no working contact method. For anyone:
    a warning when they themselves cannot be reached."""
    user = request.user
    memberships = list(
        Membership.objects.filter(team__in=managed_teams(user=user).filter(memberships__user=user))
        .select_related("user__profile", "team")
        .order_by("team__name", "user__username")
    )
    unreachable = unreachable_user_ids(user_ids={m.user_id for m in memberships})
    rows = [m for m in memberships if m.user_id in unreachable and m.user_id != user.pk]
    me = is_unreachable(user=user)
    if not rows and not me:
        return None
    return Panel(
        title="Cannot be reached",
        template="notifications/_panel_unreachable.html",
        context={"rows": rows, "me": me},
    )
