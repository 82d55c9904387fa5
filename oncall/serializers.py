"""The REST API's shapes for rotas: shifts, schedules, layers, overrides, who is on call and
reminder settings (the viewsets are in :mod:`oncall.api`)."""

from datetime import time, timedelta

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oncall import access, selectors
from oncall.models import MAX_LEAD_MINUTES, MIN_LEAD_MINUTES, Layer, Override, Schedule
from portal.api.base import (
    BoundedDateField,
    BoundedDateTimeField,
    RefField,
    TeamRefSerializer,
    TimeZoneField,
    UsernameField,
    UserRefSerializer,
)
from portal.people.models import WEEKDAYS, Team

# The longest window /shifts/ computes in one request.
MAX_WINDOW = timedelta(days=93)
DEFAULT_WINDOW = timedelta(days=7)


# ---------------------------------------------------------------------------------- shifts
class ShiftSerializer(serializers.Serializer):
    """One piece of a final schedule: ``user`` is on call from ``start`` until ``end``."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = UserRefSerializer(allow_null=True)
    source = serializers.SerializerMethodField(help_text="layer or override")

    @extend_schema_field(serializers.ChoiceField(choices=["layer", "override"]))
    def get_source(self, shift) -> str:
        return shift.source[0]


class MyShiftSerializer(ShiftSerializer):
    schedule = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(help_text="The schedule: id, name and team slug."))
    def get_schedule(self, shift) -> dict:
        s = shift.schedule
        return {"id": s.pk, "name": s.name, "team": s.team.slug}


class WindowSerializer(serializers.Serializer):
    start = BoundedDateTimeField(required=False, help_text="Default: now.")
    end = BoundedDateTimeField(required=False, help_text="Default: start + 7 days.")

    def validate(self, data):
        start = data.get("start") or timezone.now()
        end = data.get("end") or start + DEFAULT_WINDOW
        if end <= start:
            raise serializers.ValidationError({"end": "The end must be after the start."})
        if end - start > MAX_WINDOW:
            raise serializers.ValidationError(
                {"end": f"Ask for at most {MAX_WINDOW.days} days at a time."}
            )
        return {"start": start, "end": end}


# ------------------------------------------------------------------------------- schedules
class ScheduleSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)

    class Meta:
        model = Schedule
        fields = ["id", "team", "name", "time_zone", "description", "created_at"]
        read_only_fields = fields


class LayerSerializer(serializers.ModelSerializer):
    participants = serializers.SerializerMethodField(help_text="In rotation order.")

    class Meta:
        model = Layer
        fields = [
            "id",
            "lineage",
            "name",
            "position",
            "time_zone",
            "participants",
            "shift_length",
            "shift_unit",
            "rotation_start",
            "handoff_time",
            "active_days",
            "active_start",
            "active_end",
            "start_date",
            "end_date",
            "valid_from",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "This version's id; an edit starts a new version with a new id."},
            "lineage": {"help_text": "The layer's identity across its versions."},
            "position": {"help_text": "Bottom (0) to top: a higher layer wins."},
        }

    @extend_schema_field(UserRefSerializer(many=True))
    def get_participants(self, layer):
        return UserRefSerializer([p.user for p in layer.participants.all()], many=True).data


class ScheduleDetailSerializer(ScheduleSerializer):
    layers = serializers.SerializerMethodField(help_text="Current layers, bottom to top.")
    can_manage = serializers.SerializerMethodField()
    feed_url = serializers.SerializerMethodField(
        help_text="The schedule's iCal feed (members only, else null)."
    )

    class Meta(ScheduleSerializer.Meta):
        fields = ScheduleSerializer.Meta.fields + ["layers", "can_manage", "feed_url"]
        read_only_fields = fields

    @extend_schema_field(LayerSerializer(many=True))
    def get_layers(self, schedule):
        return LayerSerializer(selectors.current_layers(schedule=schedule), many=True).data

    def get_can_manage(self, schedule) -> bool:
        return access.can_manage_schedule(user=self.context["request"].user, schedule=schedule)

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text="The iCal feed address, only in the answer of regenerate-feed-token: "
            "it is stored hashed and shown once (null everywhere else).",
        )
    )
    def get_feed_url(self, schedule) -> str | None:
        token = self.context.get("feed_token")
        if token is None:
            return None
        return self.context["request"].build_absolute_uri(reverse("oncall:feed", args=[token]))


class ScheduleFilterSerializer(serializers.Serializer):
    team = serializers.SlugField(required=False, max_length=80, help_text="A team's slug.")


class ScheduleCreateSerializer(serializers.Serializer):
    team = RefField(slug_field="slug", queryset=Team.objects.all(), help_text="A team slug.")
    name = serializers.CharField(max_length=120)
    time_zone = TimeZoneField(default="UTC")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ScheduleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    time_zone = TimeZoneField()
    description = serializers.CharField(allow_blank=True)


# ---------------------------------------------------------------------------------- layers
class LayerWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    participants = serializers.ListField(
        child=UsernameField(),
        max_length=200,
        help_text="Usernames in rotation order (members of the team).",
    )
    shift_length = serializers.IntegerField(min_value=1, max_value=10_000, default=1)
    shift_unit = serializers.ChoiceField(choices=Layer.Unit.choices, default=Layer.Unit.WEEKS)
    rotation_start = BoundedDateField(help_text="The day the first shift starts.")
    handoff_time = serializers.TimeField(default=time(9, 0))
    active_days = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAYS),
        required=False,
        allow_null=True,
        max_length=7,
        help_text="Only on these weekdays, 0 (Mon) to 6 (Sun); null or empty for every day.",
    )
    active_start = serializers.TimeField(required=False, allow_null=True)
    active_end = serializers.TimeField(
        required=False, allow_null=True, help_text="Before active_start: crosses midnight."
    )
    start_date = BoundedDateField(required=False, allow_null=True)
    end_date = BoundedDateField(required=False, allow_null=True)

    def validate(self, data):
        if "active_days" in data:
            data["active_days"] = sorted(set(data["active_days"] or [])) or None
        return data


class LayerUpdateSerializer(LayerWriteSerializer):
    shift_length = serializers.IntegerField(min_value=1, max_value=10_000)
    shift_unit = serializers.ChoiceField(choices=Layer.Unit.choices)
    handoff_time = serializers.TimeField()


class LayerMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["up", "down"], help_text="up: above the next layer (it then wins over it)."
    )


# ------------------------------------------------------------------------------- overrides
class OverrideSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Override
        fields = ["id", "user", "start", "end", "reason", "created_by", "created_at"]
        read_only_fields = fields


class OverrideCreateSerializer(serializers.Serializer):
    user = UsernameField(
        required=False, help_text="Who is on call (default: you). Members may name only themselves."
    )
    start = BoundedDateTimeField()
    end = BoundedDateTimeField()
    reason = serializers.CharField(max_length=300)

    def validate(self, data):
        if data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "The override must end after it starts."})
        return data


class OverrideUpdateSerializer(serializers.Serializer):
    user = UsernameField(
        required=False,
        help_text="Who is on call (default: unchanged). Members may name only themselves.",
    )
    start = BoundedDateTimeField()
    end = BoundedDateTimeField()
    reason = serializers.CharField(max_length=300)

    def validate(self, data):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "The override must end after it starts."})
        return data


# ------------------------------------------------------------------------- who is on call
class OnCallQuerySerializer(serializers.Serializer):
    team = serializers.SlugField(required=False, max_length=80, help_text="A team's slug.")
    service = serializers.SlugField(
        required=False, max_length=80, help_text="A service's slug: its owning team's rotas."
    )
    schedule = serializers.IntegerField(required=False, min_value=1, max_value=2**53)
    at = BoundedDateTimeField(required=False, help_text="Default: now.")

    def validate(self, data):
        given = [k for k in ("team", "service", "schedule") if k in data]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of team, service or schedule.")
        return data


class OnCallScheduleSerializer(serializers.Serializer):
    schedule = ScheduleSerializer()
    on_call = ShiftSerializer(
        allow_null=True,
        help_text="Who is on call at `at` (null: nobody); `end` is the end of their continuous "
        "run of duty (touching shifts of the same person are one run).",
    )
    next = ShiftSerializer(allow_null=True, help_text="The next handover to somebody else.")


class OnCallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    users = UserRefSerializer(many=True, help_text="Everyone on call at `at`, once each.")
    schedules = OnCallScheduleSerializer(many=True)


# ---------------------------------------------------------------------- reminder settings
class RotaPreferencesSerializer(serializers.Serializer):
    reminder_lead_minutes = serializers.IntegerField(
        min_value=MIN_LEAD_MINUTES,
        max_value=MAX_LEAD_MINUTES,
        help_text="How long before a shift starts to remind you.",
    )
    day_before = serializers.BooleanField(help_text="Also remind you the day before.")
    feed_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="Your personal iCal feed address, only in the answer of "
        "regenerate-feed-token: it is stored hashed and shown once (null everywhere else).",
    )
