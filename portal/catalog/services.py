"""Writes to the service catalog: create, edit, transfer and archive, with their invariants
(unique slugs, no dependency cycles, every transfer recorded)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.catalog.models import Service, ServiceTransfer, Tag
from portal.people.models import Team


def _tags_from(names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = raw.strip().lower()
        if name:
            tag, _ = Tag.objects.get_or_create(name=name)
            tags.append(tag)
    return tags


def dependency_cycle(*, service: Service | None, dependencies: Iterable[Service]) -> list[Service]:
    """The path of a cycle that ``service -> dependencies`` would close, or [] if none.

    Walks the dependency graph breadth-first from the proposed dependencies, loading one level
    per query, and looks for the service itself.
    """
    if service is None or service.pk is None:
        return []
    deps = list(dependencies)
    if any(d.pk == service.pk for d in deps):
        return [service, service]
    parent: dict[int, int | None] = {d.pk: None for d in deps}
    frontier = set(parent)
    Through = Service.dependencies.through
    while frontier:
        edges = Through.objects.filter(from_service_id__in=frontier).values_list(
            "from_service_id", "to_service_id"
        )
        next_frontier = set()
        for src, dst in edges:
            if dst in parent:
                continue
            parent[dst] = src
            if dst == service.pk:
                path_ids = [dst]
                node = src
                while node is not None:
                    path_ids.append(node)
                    node = parent[node]
                between = path_ids[1:]  # path_ids[0] is the service itself
                names = dict(Service.objects.filter(pk__in=between).values_list("pk", "name"))
                middle = [Service(pk=i, name=names[i]) for i in reversed(between)]
                return [service, *middle, service]
            next_frontier.add(dst)
        frontier = next_frontier
    return []


def _check_dependencies(service: Service, dependencies: list[Service]) -> None:
    cycle = dependency_cycle(service=service, dependencies=dependencies)
    if cycle:
        raise ValidationError(
            {
                "dependencies": "That would create a dependency cycle: "
                + " → ".join(s.name for s in cycle)
            }
        )


@transaction.atomic
def service_create(
    *,
    name: str,
    slug: str,
    team: Team,
    tier: int = 2,
    description: str = "",
    runbook_url: str = "",
    repository_url: str = "",
    tags: Iterable[str] = (),
    dependencies: Iterable[Service] = (),
) -> Service:
    service = Service(
        name=name,
        slug=slug,
        team=team,
        tier=tier,
        description=description,
        runbook_url=runbook_url,
        repository_url=repository_url,
    )
    service.full_clean()
    service.save()
    service.tags.set(_tags_from(tags))
    service.dependencies.set(list(dependencies))
    return service


@transaction.atomic
def service_update(
    *,
    service: Service,
    tags: Iterable[str] | None = None,
    dependencies: Iterable[Service] | None = None,
    **fields,
) -> Service:
    fields.pop("team", None)  # ownership changes only through service_transfer
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    if dependencies is not None:
        dependencies = list(dependencies)
        _check_dependencies(service, dependencies)
    service.save()
    if tags is not None:
        service.tags.set(_tags_from(tags))
    if dependencies is not None:
        service.dependencies.set(dependencies)
    return service


@transaction.atomic
def service_transfer(*, service: Service, to_team: Team, by, note: str = "") -> ServiceTransfer:
    service = Service.objects.select_for_update().get(pk=service.pk)
    if service.team_id == to_team.pk:
        raise ValidationError({"to_team": f"{to_team.name} already owns {service.name}."})
    transfer = ServiceTransfer.objects.create(
        service=service, from_team_id=service.team_id, to_team=to_team, by=by, note=note
    )
    service.team = to_team
    service.save(update_fields=["team", "updated_at"])
    return transfer


@transaction.atomic
def service_archive(*, service: Service) -> Service:
    service.archived_at = timezone.now()
    service.save(update_fields=["archived_at", "updated_at"])
    return service


@transaction.atomic
def service_unarchive(*, service: Service) -> Service:
    service.archived_at = None
    service.save(update_fields=["archived_at", "updated_at"])
    return service
