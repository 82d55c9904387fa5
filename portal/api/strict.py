"""What the API takes from outside, read as strictly as the OpenAPI schema states it.

DRF is lenient where the schema is not: a JSON ``0`` passes for ``false`` and ``12`` for the
string ``"12"``, an empty query parameter counts as absent, and ``?flag=0`` or ``?flag=yes``
as booleans. A client generated from the schema never sends those, and one that does has a
bug worth hearing about, so every request body and query string goes through
:func:`validated` (via ``ApiViewSet.body`` / ``query`` or directly), which refuses them with
a 400 naming the field before DRF's own validation runs.

JSON text is also checked for what PostgreSQL cannot store (``\\u0000`` in text and jsonb)
and what cannot be encoded at all (lone surrogates), in keys as well as values: DRF's
``CharField`` refuses both in values, but the keys of a ``DictField`` reach the database
as they came.
"""

from collections.abc import Mapping

from rest_framework import serializers

QUERY_TRUE = "true"
QUERY_FALSE = "false"


def query_data(query_params) -> dict[str, str]:
    """A query string as a plain dict (the last value of a repeated parameter). Unlike a
    QueryDict, an empty value stays a value, so ``?team=`` is refused as blank instead of
    being read as "no filter"."""
    return {key: query_params.getlist(key)[-1] for key in query_params}


def validated(serializer: serializers.BaseSerializer, *, query: bool = False) -> dict:
    """``serializer``'s validated data, after the strict checks of this module (400 with a
    message per field on failure). ``query``: the data is a query string (see
    :func:`query_data`), not a JSON body."""
    data = serializer.initial_data
    if isinstance(data, Mapping) and not hasattr(data, "getlist"):
        errors = _query_errors(serializer, data) if query else _json_errors(serializer, data)
        if errors:
            raise serializers.ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class, request, **kwargs) -> dict:
    """The request's query parameters, validated by ``serializer_class``."""
    return validated(serializer_class(data=query_data(request.query_params), **kwargs), query=True)


# ------------------------------------------------------------------------------ query strings
def _query_errors(serializer, data: Mapping) -> dict:
    errors = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        if isinstance(field, serializers.BooleanField) and data[name] not in (
            QUERY_TRUE,
            QUERY_FALSE,
        ):
            errors[name] = [f"Give {QUERY_TRUE} or {QUERY_FALSE}."]
    return errors


# -------------------------------------------------------------------------------- JSON bodies
_NOT_TEXT = "Not valid text: no NUL characters or unpaired surrogates."


def bad_text(value: str) -> bool:
    """Whether a string holds a NUL (PostgreSQL refuses it) or a lone surrogate (it cannot
    be encoded as UTF-8)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_errors(serializer, data: Mapping):
    errors = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        error = _field_error(field, data[name])
        if error:
            errors[name] = error
    return errors


def _field_error(field, value):
    """The error for ``value`` given to ``field`` if its JSON type is not the one the schema
    states, else None. Nested serializers and lists are checked item by item."""
    if value is None:
        return None  # DRF answers for null itself (allow_null or "may not be null")
    if isinstance(field, serializers.ListSerializer):
        return _list_error(field.child, value)
    if isinstance(field, serializers.BaseSerializer):
        if not isinstance(value, Mapping):
            return ["Give an object."]
        return _json_errors(field, value) or None
    if isinstance(field, serializers.ManyRelatedField):
        return _list_error(field.child_relation, value)
    if isinstance(field, serializers.ListField):
        return _list_error(field.child, value)
    if isinstance(field, serializers.DictField):
        return _dict_error(field, value)
    if isinstance(field, serializers.JSONField):
        return _text_error(value)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else ["Give true or false."]
    if isinstance(field, serializers.ChoiceField):
        return _choice_error(field, value)
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return None if _is_int(value) else ["Give a whole number."]
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return ["Give a number."]
    if isinstance(
        field,
        serializers.CharField
        | serializers.RelatedField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.TimeField
        | serializers.DurationField,
    ):
        if not isinstance(value, str):
            return ["Give a string."]
        return [_NOT_TEXT] if bad_text(value) else None
    return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice_error(field, value):
    keys = list(field.choices)
    if keys and all(_is_int(k) for k in keys):
        return None if _is_int(value) else ["Give one of the numbers listed."]
    if keys and all(isinstance(k, str) for k in keys):
        return None if isinstance(value, str) else ["Give one of the strings listed."]
    return None


def _list_error(child, value):
    if not isinstance(value, list):
        return ["Give a list."]
    errors = {}
    for index, item in enumerate(value):
        error = _field_error(child, item)
        if error:
            errors[index] = error
    return errors or None


def _dict_error(field, value):
    if not isinstance(value, Mapping):
        return ["Give an object."]
    if any(bad_text(key) for key in value):
        return ["Keys must be valid text: no NUL characters or unpaired surrogates."]
    errors = {}
    for key, item in value.items():
        error = _field_error(field.child, item)
        if error:
            errors[key] = error
    return errors or None


def _text_error(value):
    """Any JSON value: every string in it, keys included, must be storable text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                return [_NOT_TEXT]
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
