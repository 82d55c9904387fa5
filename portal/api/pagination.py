"""Page-number pagination by default; cursor pagination for the long, fast-growing lists
(incidents and alerts), where new rows would shift page numbers under a reader.

``page`` and ``page_size`` are read strictly, as the schema states them (whole numbers,
``page_size`` from 1 to 200): anything else is a 400 naming the parameter, not silently the
default (DRF's own behaviour), so a client that sends ``page_size=null`` hears about it."""

import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000_000
_WHOLE = re.compile(r"^[0-9]{1,10}\Z")


def _whole_number(request, name: str, *, maximum: int | None = None) -> int | None:
    """The query parameter ``name`` as a whole number from 1 (to ``maximum``), None if
    absent; a 400 naming it otherwise."""
    if name not in request.query_params:
        return None
    raw = request.query_params.getlist(name)[-1]
    value = int(raw) if _WHOLE.match(raw) else 0
    if value < 1 or (maximum is not None and value > maximum):
        upper = f" to {maximum}" if maximum is not None else ""
        raise ValidationError({name: [f"Give a whole number from 1{upper}."]})
    return value


def _bounded(parameters: list[dict], bounds: dict[str, dict]) -> list[dict]:
    for parameter in parameters:
        parameter["schema"].update(bounds.get(parameter["name"], {}))
    return parameters


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return _whole_number(request, "page_size", maximum=MAX_PAGE_SIZE) or self.page_size

    def get_page_number(self, request, paginator):
        _whole_number(request, self.page_query_param, maximum=MAX_PAGE)
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        return _bounded(
            super().get_schema_operation_parameters(view),
            {
                "page": {"minimum": 1, "maximum": MAX_PAGE},
                "page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        )


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-created_at", "-pk")

    def get_page_size(self, request):
        return _whole_number(request, "page_size", maximum=MAX_PAGE_SIZE) or self.page_size

    def get_schema_operation_parameters(self, view):
        return _bounded(
            super().get_schema_operation_parameters(view),
            {"page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE}},
        )
