"""Read queries for the service catalog."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from portal.catalog.models import Service, ServiceTransfer, Tag


def service_search(
    *,
    q: str = "",
    team: str = "",
    tier: int | None = None,
    tag: str = "",
    include_archived: bool = False,
) -> QuerySet[Service]:
    """The catalog list: a fixed number of queries however many services match."""
    qs = Service.objects.select_related("team").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(slug__icontains=q)
            | Q(description__icontains=q)
            | Q(tags__name__icontains=q)
            | Q(team__name__icontains=q)
        ).distinct()
    if team:
        qs = qs.filter(team__slug=team)
    if tier:
        qs = qs.filter(tier=tier)
    if tag:
        qs = qs.filter(tags__name=tag)
    return qs.order_by("name")


def service_detail(*, slug: str) -> Service:
    qs = Service.objects.select_related("team").prefetch_related(
        "tags",
        Prefetch("dependencies", queryset=Service.objects.select_related("team").order_by("name")),
        Prefetch("dependents", queryset=Service.objects.select_related("team").order_by("name")),
        Prefetch(
            "transfers",
            queryset=ServiceTransfer.objects.select_related("from_team", "to_team", "by"),
        ),
    )
    try:
        return qs.get(slug=slug)
    except Service.DoesNotExist as exc:
        raise Http404("No such service.") from exc


def services_owned_by(*, user) -> QuerySet[Service]:
    return (
        Service.objects.filter(team__memberships__user=user, archived_at__isnull=True)
        .select_related("team")
        .distinct()
        .order_by("name")
    )


def team_services(*, team) -> QuerySet[Service]:
    """The team's services in the catalog (not archived), by name."""
    return Service.objects.filter(team=team, archived_at__isnull=True).order_by("name")


def all_tags() -> QuerySet[Tag]:
    return Tag.objects.filter(services__archived_at__isnull=True).distinct().order_by("name")
