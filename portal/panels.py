"""Panels that other apps contribute to the dashboard, team and service pages.

Each entry is the dotted path of a function ``(request, obj) -> Panel | None``; ``obj`` is
None on the dashboard, the Team on a team page and the Service on a service page. A panel
renders its own template with its own context, so the pages need not know every app.
"""

from dataclasses import dataclass, field
from functools import cache

from django.utils.module_loading import import_string

DASHBOARD_PANELS: list[str] = []
DASHBOARD_PANELS.append("oncall.panels.dashboard_panel")
DASHBOARD_PANELS.append("oncall.swaps.panels.dashboard_panel")
DASHBOARD_PANELS.append("incidents.panels.dashboard_panel")
DASHBOARD_PANELS.append("portal.notifications.panels.dashboard_panel")
DASHBOARD_PANELS.append("incidents.postmortems.panels.dashboard_panel")
TEAM_PANELS: list[str] = []
TEAM_PANELS.append("oncall.panels.team_panel")
TEAM_PANELS.append("oncall.swaps.panels.team_panel")
TEAM_PANELS.append("incidents.panels.team_panel")
TEAM_PANELS.append("incidents.postmortems.panels.team_panel")
TEAM_PANELS.append("portal.reports.panels.team_panel")
SERVICE_PANELS: list[str] = []
SERVICE_PANELS.append("incidents.panels.paging_panel")
SERVICE_PANELS.append("oncall.panels.service_panel")
SERVICE_PANELS.append("incidents.panels.service_panel")
SERVICE_PANELS.append("incidents.postmortems.panels.service_panel")
SERVICE_PANELS.append("portal.reports.panels.service_panel")

# Columns other apps add to the catalog's list: ``(request, services) -> Column | None`` for
# the services of one page, in a fixed number of queries.
SERVICE_LIST_COLUMNS: list[str] = []
SERVICE_LIST_COLUMNS.append("incidents.panels.oncall_column")


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass
class Column:
    """A column of the catalog's list: ``header`` (with ``note``, what it means), and per
    service id the context ``template`` renders its cell with (as ``cell``)."""

    header: str
    note: str
    template: str
    cells: dict = field(default_factory=dict)


@cache
def _load(paths: tuple[str, ...]):
    return [import_string(p) for p in paths]


def _collect(paths: list[str], request, obj) -> list[Panel]:
    panels = []
    for func in _load(tuple(paths)):
        panel = func(request, obj)
        if panel is not None:
            panels.append(panel)
    return panels


def dashboard_panels(request) -> list[Panel]:
    return _collect(DASHBOARD_PANELS, request, None)


def team_panels(request, team) -> list[Panel]:
    return _collect(TEAM_PANELS, request, team)


def service_panels(request, service) -> list[Panel]:
    return _collect(SERVICE_PANELS, request, service)


def service_list_rows(request, services) -> tuple[list[Column], list[tuple]]:
    """The contributed columns and ``[(service, [(column, cell), …]), …]`` for the list."""
    services = list(services)
    columns = _collect(SERVICE_LIST_COLUMNS, request, services)
    rows = [(s, [(c, c.cells.get(s.pk)) for c in columns]) for s in services]
    return columns, rows
