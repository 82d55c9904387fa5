"""Who may see and change a service: the owning team's rules (``portal.people.access``).

Everyone signed in reads the catalog; the owning team's members (and staff) see what the
service caused (its feedback); its managers (and staff) edit, transfer and archive it.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from portal.catalog import selectors
from portal.catalog.models import Service
from portal.people.access import can_manage_team, can_see_team, managed_teams


def service_for_manager_or_404(*, user, slug: str) -> Service:
    """The service (as ``selectors.service_detail`` loads it) if the user manages its owning
    team (or is staff); 404 unknown, 403 otherwise. Pages and the API alike."""
    service = selectors.service_detail(slug=slug)
    if not can_manage_team(user=user, team=service.team):
        raise PermissionDenied("Only the owning team's managers can change this service.")
    return service


def service_for_member_or_403(*, user, slug: str) -> Service:
    """The service (with its team) if the user belongs to its owning team (or is staff); 404
    unknown, 403 otherwise."""
    service = get_object_or_404(Service.objects.select_related("team"), slug=slug)
    if not can_see_team(user=user, team=service.team):
        raise PermissionDenied("Only the owning team's members can see its feedback.")
    return service


def can_add_service(*, user) -> bool:
    """Managers of any team (and staff) add services to the catalog, to the teams they manage."""
    return managed_teams(user=user).exists()


def adding_service_or_403(*, user) -> None:
    if not can_add_service(user=user):
        raise PermissionDenied("Only managers of a team can add services to the catalog.")
