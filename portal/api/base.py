"""Building blocks every app's ``api.py`` uses: the base viewset, query-string parsing and
the small reference serializers (a user, a team) that many resources embed."""

import re
from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from portal.api.strict import validated, validated_query
from portal.people.names import person_name
from portal.people.timezones import zone_names


class UtcMixin:
    """The API speaks UTC: timestamps are written with ``Z`` offsets whatever the caller's
    profile zone, and a timestamp sent without an offset is read as UTC."""

    def initial(self, request, *args, **kwargs):
        timezone.activate(UTC)
        super().initial(request, *args, **kwargs)


class ApiViewSet(UtcMixin, viewsets.GenericViewSet):
    """Base for every viewset: writes go through the owning app's services, reads through
    its selectors, and access checks through the same helpers the pages use."""

    def query(self, serializer_class) -> dict:
        """The request's query parameters, validated (400 with a message per parameter)."""
        return validated_query(serializer_class, self.request)

    def body(self, serializer_class, *, partial: bool = False, **context) -> dict:
        serializer = serializer_class(
            data=self.request.data,
            partial=partial,
            context={"request": self.request, "view": self, **context},
        )
        return validated(serializer)

    def page_or_list(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        ctx = {"request": self.request, "view": self, **context}
        if page is not None:
            return self.get_paginated_response(serializer_class(page, many=True, context=ctx).data)
        return Response(serializer_class(queryset, many=True, context=ctx).data)


class ApiView(UtcMixin, APIView):
    pass


class UserRefSerializer(serializers.Serializer):
    """A person, as other resources refer to them."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_name(self, user) -> str:
        return person_name(user)


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class RefField(serializers.SlugRelatedField):
    """An object named by a slug-like key in a request body. Values that cannot be a key are
    refused before they reach the database (PostgreSQL rejects NUL characters outright)."""

    pattern = re.compile(r"^[-\w]+\Z")
    max_length = 100

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > self.max_length or not self.pattern.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        return super().to_internal_value(data)


ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": ZONE_PATTERN,
        "maxLength": 64,
        "example": "Europe/London",
        "description": (
            "An IANA time zone name, such as Europe/London, known to the server's time zone "
            "database (a name it does not know is a 400)."
        ),
    }
)
class TimeZoneField(serializers.CharField):
    """An IANA zone name the server knows. The schema states its shape, not the list: the
    names come from the server's time zone database, which changes with its updates."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "An IANA zone name, such as Europe/London.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in zone_names():
            raise serializers.ValidationError(
                f"Unknown time zone {value}: use an IANA name such as Europe/London."
            )
        return value


class UsernameField(RefField):
    """A person named by username in a request body (active users only)."""

    pattern = re.compile(r"^[\w.@+-]+\Z")
    max_length = 150

    def __init__(self, **kwargs):
        from django.contrib.auth import get_user_model

        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("error_messages", {"does_not_exist": "No active user called {value}."})
        super().__init__(**kwargs)


# Dates and times the API accepts: wide enough for any rota's history and plans, narrow
# enough that date arithmetic (a window's end, a rotation's next shift) can never overflow.
# The forms of the pages use the same bounds (portal/bounds.py). The schema states them as a
# pattern on the year, so a client generated from it does not send what will be refused.
EARLIEST = bounds.EARLIEST
LATEST = bounds.LATEST
YEAR_PATTERN = r"^(19[7-9][0-9]|2[01][0-9][0-9])-"


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": YEAR_PATTERN,
        "description": "A time in the years 1970-2199 (RFC 3339; without an offset, UTC).",
    }
)
class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp in the years 1970-2199, as written. Without an offset it is read as UTC."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        written = parse_datetime(value) if isinstance(value, str) else value
        if not bounds.in_range(written or result):
            raise serializers.ValidationError(bounds.TIME_MESSAGE)
        return result


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": YEAR_PATTERN,
        "description": "A date in the years 1970-2199.",
    }
)
class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not bounds.in_range(result):
            raise serializers.ValidationError(bounds.DATE_MESSAGE)
        return result
