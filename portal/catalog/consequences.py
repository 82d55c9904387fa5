"""What archiving or transferring a service does outside the catalog, told on the pages that
confirm those actions. Apps that hang things on a service (incidents, integrations, escalation
policies) contribute one function each, by dotted path, as they do panels (``portal.panels``):
``archive(*, service) -> Panel | None`` and ``transfer(*, service, to_team, user) -> Panel |
None``; each renders its own template with its own context."""

from functools import cache

from django.utils.module_loading import import_string

from portal.panels import Panel

ARCHIVE_CONSEQUENCES: list[str] = ["incidents.service_changes.archive_consequences"]
TRANSFER_CONSEQUENCES: list[str] = ["incidents.service_changes.transfer_consequences"]


@cache
def _load(paths: tuple[str, ...]):
    return [import_string(p) for p in paths]


def _collect(paths: list[str], **kwargs) -> list[Panel]:
    found = (func(**kwargs) for func in _load(tuple(paths)))
    return [panel for panel in found if panel is not None]


def archive_consequences(*, service) -> list[Panel]:
    return _collect(ARCHIVE_CONSEQUENCES, service=service)


def transfer_consequences(*, service, to_team, user) -> list[Panel]:
    return _collect(TRANSFER_CONSEQUENCES, service=service, to_team=to_team, user=user)
