"""OpenAPI generation: drf-spectacular's AutoSchema, plus the error responses every
operation can give, so clients (and schemathesis) know their shape."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error. `detail` explains it; bad input instead gives a list of messages per field "
        '(and `non_field_errors` for the rest), e.g. `{"name": ["This field is required."]}`.'
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

ERRORS = {
    "400": "Bad input: a list of messages per field.",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "You may not do this (the same rules as the pages).",
    "404": "No such object, or not one you can see.",
    "429": "Too many requests: wait the number of seconds in the Retry-After header.",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        for code, description in ERRORS.items():
            if public and code in ("401", "403"):
                continue
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": description,
                },
            )
        return responses


NOT_BLANK_PATTERN = r"\S"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def plain_times(result, generator, request, public):
    """A postprocessing hook: times of day are wall-clock "HH:MM[:SS]" in the owning
    object's zone, not RFC 3339 times (which require an offset), so describe them by a
    pattern instead of ``format: time``."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                del node["format"]
                node["pattern"] = TIME_PATTERN
                node.setdefault("example", "09:00")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


def text_not_blank(result, generator, request, public):
    """A postprocessing hook: text fields trim surrounding whitespace, so a required text
    (``minLength`` 1) of spaces alone is refused as blank. State it: such strings in request
    bodies and query parameters must hold a non-space character."""

    def mark(node):
        if isinstance(node, dict):
            if (
                node.get("type") == "string"
                and node.get("minLength", 0) >= 1
                and not {"pattern", "format", "enum"} & node.keys()
            ):
                node["pattern"] = NOT_BLANK_PATTERN
            for value in node.values():
                mark(value)
        elif isinstance(node, list):
            for value in node:
                mark(value)

    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            mark(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query":
                    mark(parameter.get("schema"))
    return result
