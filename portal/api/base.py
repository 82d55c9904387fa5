"""Building blocks every app's ``api.py`` uses: the base viewset, query-string parsing and
the small reference serializers (a user, a team) that many resources embed."""

import re
from datetime import UTC, datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView


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
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class, *, partial: bool = False, **context) -> dict:
        serializer = serializer_class(
            data=self.request.data,
            partial=partial,
            context={"request": self.request, "view": self, **context},
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

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
        profile = getattr(user, "profile", None)
        return profile.name if profile is not None else user.get_username()


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
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp between 1970 and 2200. Without an offset it is read as UTC."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not EARLIEST <= result < LATEST:
            raise serializers.ValidationError("Give a time between 1970 and 2200.")
        return result


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not EARLIEST.date() <= result < LATEST.date():
            raise serializers.ValidationError("Give a date between 1970 and 2200.")
        return result
