"""REST API for rotas: schedules, their layers and overrides, the final schedule (shifts),
who is on call, your own shifts and reminder settings, swap and cover requests, time off.

Permissions are the pages': everyone signed in reads schedules and who is on call; a team's
managers (and staff) create, edit and delete its schedules and edit its layers; members add
overrides for themselves, managers for anyone in the team; an override is edited or removed
by its person, its creator or a manager. Swap requests are seen by the schedule's team and
answered as the swap service allows (it raises PermissionDenied or ValidationError itself).
Writes go through :mod:`oncall.services` and :mod:`oncall.swaps.services`, reads through the
selectors, access checks through :mod:`portal.people.selectors`.
"""

from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall import selectors, services
from oncall.models import MAX_LEAD_MINUTES, MIN_LEAD_MINUTES, Layer, Override, Schedule
from oncall.swaps import selectors as swap_selectors
from oncall.swaps import services as swap_services
from oncall.swaps.models import SwapRequest, TimeOff
from portal.api.base import (
    ApiView,
    ApiViewSet,
    BoundedDateField,
    BoundedDateTimeField,
    RefField,
    TeamRefSerializer,
    TimeZoneField,
    UsernameField,
    UserRefSerializer,
)
from portal.api.strict import validated, validated_query
from portal.catalog.models import Service
from portal.people.access import can_manage_team, is_member, team_for_manager_or_404
from portal.people.models import WEEKDAYS, Team

User = get_user_model()

# The longest window /shifts/ computes in one request.
MAX_WINDOW = timedelta(days=93)
DEFAULT_WINDOW = timedelta(days=7)


def _is_member(user, team) -> bool:
    return user.is_staff or is_member(user=user, team=team)


def _schedule_for_manager(user, pk) -> Schedule:
    schedule = selectors.schedule_detail(pk=pk)
    if not can_manage_team(user=user, team=schedule.team):
        raise PermissionDenied("Only the team's managers can change this schedule.")
    return schedule


def _schedule_for_member(user, pk) -> Schedule:
    schedule = selectors.schedule_detail(pk=pk)
    if not _is_member(user, schedule.team):
        raise PermissionDenied("Only members of the team can change its rota.")
    return schedule


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
        return can_manage_team(user=self.context["request"].user, team=schedule.team)

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


def _schedule_out(request, pk: int, *, feed_token: str | None = None) -> dict:
    schedule = selectors.schedule_detail(pk=pk)
    context = {"request": request, "feed_token": feed_token}
    return ScheduleDetailSerializer(schedule, context=context).data


class ScheduleViewSet(ApiViewSet):
    """Schedules (rotas) of every team."""

    serializer_class = ScheduleSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # for the schema; the actions load through the selectors
        return Schedule.objects.none()

    @extend_schema(parameters=[ScheduleFilterSerializer])
    def list(self, request):
        team_slug = self.query(ScheduleFilterSerializer).get("team")
        if team_slug:
            team = get_object_or_404(Team, slug=team_slug)
            schedules = selectors.team_schedules(team=team)
        else:
            schedules = Schedule.objects.select_related("team").order_by("team__name", "name")
        return self.page_or_list(schedules, ScheduleSerializer)

    @extend_schema(responses=ScheduleDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(_schedule_out(request, pk))

    @extend_schema(request=ScheduleCreateSerializer, responses={201: ScheduleDetailSerializer})
    def create(self, request):
        data = self.body(ScheduleCreateSerializer)
        team = team_for_manager_or_404(user=request.user, slug=data.pop("team").slug)
        schedule = services.schedule_create(team=team, **data)
        return Response(_schedule_out(request, schedule.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleUpdateSerializer, responses=ScheduleDetailSerializer)
    def update(self, request, pk=None, partial=False):
        schedule = _schedule_for_manager(request.user, pk)
        data = self.body(ScheduleUpdateSerializer, partial=partial)
        current = {
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "description": schedule.description,
        }
        services.schedule_update(schedule=schedule, by=request.user, **{**current, **data})
        return Response(_schedule_out(request, schedule.pk))

    @extend_schema(request=ScheduleUpdateSerializer, responses=ScheduleDetailSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a schedule nobody has been on call on yet (one made by mistake). A schedule
        with on-call history stays (400), since reports and pay rely on it: remove its layers
        to stop it from now on. One an escalation policy pages is refused too (400)."""
        schedule = _schedule_for_manager(request.user, pk)
        services.schedule_delete(schedule=schedule)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[WindowSerializer], responses=ShiftSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def shifts(self, request, pk=None):
        """The final schedule over ``[start, end)`` (at most 93 days): overrides beat every
        layer, a higher layer beats a lower one. Gaps (nobody on call) are absent."""
        schedule = selectors.schedule_detail(pk=pk)
        window = self.query(WindowSerializer)
        shifts = selectors.schedule_final(
            schedule=schedule, start=window["start"], end=window["end"]
        )
        return Response(ShiftSerializer(shifts, many=True).data)

    @extend_schema(request=None, responses=ScheduleDetailSerializer)
    @action(detail=True, methods=["post"], url_path="regenerate-feed-token")
    def regenerate_feed_token(self, request, pk=None):
        """A new iCal feed address for the schedule: subscriptions to the old one stop. The
        answer's ``feed_url`` is the only time the address is shown (it is stored hashed)."""
        schedule = _schedule_for_manager(request.user, pk)
        token = services.schedule_token_regenerate(schedule=schedule)
        return Response(_schedule_out(request, schedule.pk, feed_token=token))


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


class LayerViewSet(ApiViewSet):
    """A schedule's layers as they are now. Every edit applies from now on: the past stays
    what really happened (an edit starts a new version, with a new ``id``; older ids still
    lead to the current version)."""

    serializer_class = LayerSerializer
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Layer.objects.none()

    def _schedule(self) -> Schedule:
        return selectors.schedule_detail(pk=self.kwargs["schedule_pk"])

    def _manage(self) -> Schedule:
        return _schedule_for_manager(self.request.user, self.kwargs["schedule_pk"])

    def _out(self, schedule, layer: Layer, code=status.HTTP_200_OK) -> Response:
        """The layer's open version, with its participants (as the list shows it)."""
        current = next(
            (x for x in selectors.current_layers(schedule=schedule) if x.pk == layer.pk), layer
        )
        return Response(LayerSerializer(current).data, status=code)

    def list(self, request, schedule_pk=None):
        layers = selectors.current_layers(schedule=self._schedule())
        return Response(LayerSerializer(layers, many=True).data)

    def retrieve(self, request, schedule_pk=None, pk=None):
        schedule = self._schedule()
        return self._out(schedule, selectors.current_version(schedule=schedule, pk=pk))

    @extend_schema(request=LayerWriteSerializer, responses={201: LayerSerializer})
    def create(self, request, schedule_pk=None):
        schedule = self._manage()
        data = self.body(LayerWriteSerializer)
        layer = services.layer_create(schedule=schedule, by=request.user, **data)
        return self._out(schedule, layer, status.HTTP_201_CREATED)

    @extend_schema(request=LayerUpdateSerializer, responses=LayerSerializer)
    def update(self, request, schedule_pk=None, pk=None, partial=False):
        schedule = self._manage()
        layer = selectors.current_version(schedule=schedule, pk=pk)
        data = self.body(LayerUpdateSerializer, partial=partial)
        participants = data.pop("participants", None)
        layer = services.layer_update(
            layer=layer, participants=participants, by=request.user, **data
        )
        return self._out(schedule, layer)

    @extend_schema(request=LayerUpdateSerializer, responses=LayerSerializer)
    def partial_update(self, request, schedule_pk=None, pk=None):
        return self.update(request, schedule_pk=schedule_pk, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, schedule_pk=None, pk=None):
        """Stop the layer from now on; its past shifts stay in the history."""
        schedule = self._manage()
        services.layer_remove(layer=selectors.current_version(schedule=schedule, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=LayerMoveSerializer, responses=LayerSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, schedule_pk=None, pk=None):
        """Swap the layer with the one above (``up``) or below it, from now on."""
        schedule = self._manage()
        layer = selectors.current_version(schedule=schedule, pk=pk)
        data = self.body(LayerMoveSerializer)
        layer = services.layer_move(layer=layer, up=data["direction"] == "up", by=request.user)
        return self._out(schedule, layer)


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


def _override_out(pk: int) -> Override:
    return Override.objects.select_related("user__profile", "created_by__profile").get(pk=pk)


class OverrideViewSet(ApiViewSet):
    """A schedule's overrides that have not ended. Members put themselves on call; managers
    put anyone in the team on call. An override is edited or removed by its person, its
    creator or a manager. Edits never change the past: a running override keeps its person
    and start (its end and reason may change), a finished one stays as it was. Removing a
    running override ends it now; removing one that has not started cancels it."""

    serializer_class = OverrideSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Override.objects.none()

    def list(self, request, schedule_pk=None):
        schedule = selectors.schedule_detail(pk=schedule_pk)
        return self.page_or_list(
            selectors.upcoming_overrides(schedule=schedule), OverrideSerializer
        )

    def retrieve(self, request, schedule_pk=None, pk=None):
        schedule = selectors.schedule_detail(pk=schedule_pk)
        override = get_object_or_404(
            Override.objects.select_related("user__profile", "created_by__profile"),
            pk=pk,
            schedule=schedule,
        )
        return Response(OverrideSerializer(override).data)

    @extend_schema(request=OverrideCreateSerializer, responses={201: OverrideSerializer})
    def create(self, request, schedule_pk=None):
        schedule = _schedule_for_member(request.user, schedule_pk)
        data = self.body(OverrideCreateSerializer)
        person = data.pop("user", None) or request.user
        if person.pk != request.user.pk and not can_manage_team(
            user=request.user, team=schedule.team
        ):
            raise serializers.ValidationError(
                {
                    "user": "You can add overrides only for yourself: ask a manager to put "
                    "someone else on call."
                }
            )
        override = services.override_create(schedule=schedule, user=person, by=request.user, **data)
        return Response(
            OverrideSerializer(_override_out(override.pk)).data, status=status.HTTP_201_CREATED
        )

    def _own_or_managed(self, schedule_pk, pk, verb: str) -> tuple[Override, bool]:
        """The override, if the user may change it (its person, its creator, or a manager),
        and whether the user manages the team."""
        schedule = _schedule_for_member(self.request.user, schedule_pk)
        override = get_object_or_404(Override, pk=pk, schedule=schedule)
        manager = can_manage_team(user=self.request.user, team=schedule.team)
        mine = self.request.user.pk in (override.user_id, override.created_by_id)
        if not (mine or manager):
            raise PermissionDenied(f"Only managers can {verb} other people's overrides.")
        return override, manager

    @extend_schema(request=OverrideUpdateSerializer, responses=OverrideSerializer)
    def update(self, request, schedule_pk=None, pk=None, partial=False):
        """Change an override's person, times or reason, as the rules for adding one allow;
        a running override keeps its person and start, and a finished one cannot change."""
        override, manager = self._own_or_managed(schedule_pk, pk, "edit")
        data = self.body(OverrideUpdateSerializer, partial=partial)
        person = data.pop("user", None) or override.user
        if person.pk not in (override.user_id, request.user.pk) and not manager:
            raise serializers.ValidationError(
                {
                    "user": "You can put only yourself on call: ask a manager to put someone "
                    "else on call."
                }
            )
        current = {"start": override.start, "end": override.end, "reason": override.reason}
        services.override_update(override=override, user=person, **{**current, **data})
        return Response(OverrideSerializer(_override_out(override.pk)).data)

    @extend_schema(request=OverrideUpdateSerializer, responses=OverrideSerializer)
    def partial_update(self, request, schedule_pk=None, pk=None):
        return self.update(request, schedule_pk=schedule_pk, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, schedule_pk=None, pk=None):
        override, _ = self._own_or_managed(schedule_pk, pk, "remove")
        services.override_remove(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    on_call = ShiftSerializer(allow_null=True, help_text="Who is on call at `at` (null: nobody).")
    next = ShiftSerializer(allow_null=True, help_text="The next handover to somebody else.")


class OnCallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    users = UserRefSerializer(many=True, help_text="Everyone on call at `at`, once each.")
    schedules = OnCallScheduleSerializer(many=True)


class OnCallView(ApiView):
    """Who is on call for a team, a service (its owning team) or one schedule, now or at
    ``at``."""

    @extend_schema(parameters=[OnCallQuerySerializer], responses=OnCallSerializer)
    def get(self, request):
        data = validated_query(OnCallQuerySerializer, request)
        at = data.get("at") or timezone.now()
        if "schedule" in data:
            schedule = selectors.schedule_detail(pk=data["schedule"])
            rows = [(schedule, *selectors.schedule_now_next(schedule=schedule, at=at))]
        else:
            if "service" in data:
                team = get_object_or_404(Service, slug=data["service"]).team
            else:
                team = get_object_or_404(Team, slug=data["team"])
            rows = selectors.team_oncall(team=team, at=at)
        users = {}
        for _, now_shift, _ in rows:
            if now_shift is not None and now_shift.user is not None:
                users.setdefault(now_shift.user_id, now_shift.user)
        payload = {
            "at": at,
            "users": list(users.values()),
            "schedules": [{"schedule": s, "on_call": n, "next": x} for s, n, x in rows],
        }
        return Response(OnCallSerializer(payload).data)


# ---------------------------------------------------------------------------------- mine
class MyShiftsView(ApiView):
    """Your own shifts in every schedule over ``[start, end)`` (at most 93 days)."""

    @extend_schema(parameters=[WindowSerializer], responses=MyShiftSerializer(many=True))
    def get(self, request):
        window = validated_query(WindowSerializer, request)
        shifts = selectors.user_shifts(user=request.user, start=window["start"], end=window["end"])
        return Response(MyShiftSerializer(shifts, many=True).data)


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


def _rota_preferences_out(request, prefs, *, feed_token: str | None = None) -> Response:
    feed_url = None
    if feed_token is not None:
        feed_url = request.build_absolute_uri(reverse("oncall:feed", args=[feed_token]))
    return Response(
        RotaPreferencesSerializer(
            {
                "reminder_lead_minutes": prefs.reminder_lead_minutes,
                "day_before": prefs.day_before,
                "feed_url": feed_url,
            }
        ).data
    )


class RotaPreferencesView(ApiView):
    """Your shift-reminder settings and personal calendar feed."""

    def _out(self, request, prefs) -> Response:
        return _rota_preferences_out(request, prefs)

    @extend_schema(responses=RotaPreferencesSerializer)
    def get(self, request):
        return self._out(request, services.preferences_for(user=request.user))

    @extend_schema(request=RotaPreferencesSerializer, responses=RotaPreferencesSerializer)
    def patch(self, request):
        prefs = services.preferences_for(user=request.user)
        serializer = RotaPreferencesSerializer(data=request.data, partial=True)
        data = {
            "reminder_lead_minutes": prefs.reminder_lead_minutes,
            "day_before": prefs.day_before,
            **validated(serializer),
        }
        return self._out(request, services.preferences_update(user=request.user, **data))


class RotaFeedTokenView(ApiView):
    """A new address for your personal iCal feed: subscriptions to the old one stop. The
    answer's ``feed_url`` is the only time the address is shown (it is stored hashed)."""

    @extend_schema(request=None, responses=RotaPreferencesSerializer)
    def post(self, request):
        prefs, token = services.preferences_token_regenerate(user=request.user)
        return _rota_preferences_out(request, prefs, feed_token=token)


# ------------------------------------------------------------------- swap and cover requests
class SwapActionsSerializer(serializers.Serializer):
    """What you may do with the request right now."""

    accept = serializers.BooleanField()
    decline = serializers.BooleanField()
    withdraw = serializers.BooleanField()
    approve = serializers.BooleanField(help_text="Approve or reject (managers).")
    revert = serializers.BooleanField()


class SwapRequestSerializer(serializers.ModelSerializer):
    schedule = serializers.SerializerMethodField()
    requester = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    target = UserRefSerializer(read_only=True, allow_null=True)
    taker = UserRefSerializer(read_only=True, allow_null=True)
    revert_asked_by = UserRefSerializer(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField()
    my_reason = serializers.SerializerMethodField(
        help_text="In the open list: why you cannot take it (empty when you can)."
    )

    class Meta:
        model = SwapRequest
        fields = [
            "id",
            "kind",
            "status",
            "schedule",
            "requester",
            "created_by",
            "target",
            "taker",
            "shift_start",
            "shift_end",
            "start",
            "end",
            "swap_start",
            "swap_end",
            "reason",
            "expires_at",
            "revert_asked_by",
            "actions",
            "my_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(help_text="The schedule: id, name and team slug."))
    def get_schedule(self, swap) -> dict:
        return {"id": swap.schedule_id, "name": swap.schedule.name, "team": swap.schedule.team.slug}

    @extend_schema_field(SwapActionsSerializer)
    def get_actions(self, swap):
        actions = swap_selectors.actions_for(user=self.context["request"].user, request=swap)
        return SwapActionsSerializer(actions).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_my_reason(self, swap) -> str | None:
        return getattr(swap, "my_reason", None)


class SwapEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = UserRefSerializer(allow_null=True)
    note = serializers.CharField()


class SwapDetailSerializer(SwapRequestSerializer):
    events = serializers.SerializerMethodField()
    overrides = serializers.SerializerMethodField(help_text="The overrides that realise it.")

    class Meta(SwapRequestSerializer.Meta):
        fields = SwapRequestSerializer.Meta.fields + ["events", "overrides"]
        read_only_fields = fields

    @extend_schema_field(SwapEventSerializer(many=True))
    def get_events(self, swap):
        return SwapEventSerializer(swap_selectors.request_events(request=swap), many=True).data

    @extend_schema_field(OverrideSerializer(many=True))
    def get_overrides(self, swap):
        links = swap_selectors.request_overrides(request=swap)
        return OverrideSerializer([link.override for link in links], many=True).data


SWAP_BOXES = {
    "to_me": "waiting for my answer",
    "mine": "my open and accepted requests",
    "open": "open to my teams, that I may take",
    "team": "open requests of the teams I manage",
    "history": "requests I was part of, most recently changed first",
}


class SwapFilterSerializer(serializers.Serializer):
    box = serializers.ChoiceField(
        choices=list(SWAP_BOXES.items()),
        default="history",
        help_text="Which list, as on the swaps page: "
        + "; ".join(f"{k}: {v}" for k, v in SWAP_BOXES.items()),
    )


class SwapCreateSerializer(serializers.Serializer):
    schedule = serializers.IntegerField(min_value=1, max_value=2**53)
    requester = UsernameField(
        required=False, help_text="Whose shift (default: yours; managers may name anyone)."
    )
    shift_start = BoundedDateTimeField(help_text="The whole shift, as /shifts/ gives it.")
    shift_end = BoundedDateTimeField()
    start = BoundedDateTimeField(required=False, help_text="The part given away (default: all).")
    end = BoundedDateTimeField(required=False)
    kind = serializers.ChoiceField(choices=SwapRequest.Kind.choices, default="cover")
    target = UsernameField(
        required=False, allow_null=True, help_text="Whom to ask (empty: everyone eligible)."
    )
    swap_start = BoundedDateTimeField(
        required=False, allow_null=True, help_text="Swap only: the target's shift you take."
    )
    swap_end = BoundedDateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    assign = serializers.BooleanField(
        default=False, help_text="Managers: the target takes it at once, without accepting."
    )


class SwapRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SwapRequestViewSet(ApiViewSet):
    """Swap and cover requests: ask, accept, decline (or pass on an open request), withdraw,
    approve or reject (managers, when the team requires approval) and revert."""

    serializer_class = SwapRequestSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return SwapRequest.objects.none()

    def _viewable(self, pk) -> SwapRequest:
        swap = swap_selectors.request_detail(pk=pk)
        if not swap_selectors.can_view(user=self.request.user, request=swap):
            raise PermissionDenied("Only the schedule's team can see this request.")
        return swap

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        swap = swap_selectors.request_detail(pk=pk)
        return Response(
            SwapDetailSerializer(swap, context={"request": self.request}).data, status=code
        )

    @extend_schema(parameters=[SwapFilterSerializer])
    def list(self, request):
        box = self.query(SwapFilterSerializer)["box"]
        user = request.user
        if box == "to_me":
            rows = swap_selectors.requests_to_me(user=user)
        elif box == "mine":
            rows = swap_selectors.my_requests(user=user)
        elif box == "open":
            rows = swap_selectors.open_requests_for(user=user)
        elif box == "team":
            rows = swap_selectors.team_requests(user=user)
        else:
            rows = swap_selectors.history(user=user)
        return self.page_or_list(rows, SwapRequestSerializer)

    @extend_schema(responses=SwapDetailSerializer)
    def retrieve(self, request, pk=None):
        self._viewable(pk)
        return self._out(pk)

    @extend_schema(request=SwapCreateSerializer, responses={201: SwapDetailSerializer})
    def create(self, request):
        """Ask for cover of a shift you hold (or, for a manager, someone's shift), or propose
        a swap with a named colleague's shift."""
        data = self.body(SwapCreateSerializer)
        schedule = selectors.schedule_detail(pk=data.pop("schedule"))
        if not _is_member(request.user, schedule.team):
            raise PermissionDenied("Only members of the team can ask for cover on its schedules.")
        requester = data.pop("requester", None) or request.user
        swap = swap_services.swap_request_create(
            schedule=schedule, requester=requester, by=request.user, **data
        )
        return self._out(swap.pk, status.HTTP_201_CREATED)

    def _change(self, pk, change) -> Response:
        change(self._viewable(pk))
        return self._out(pk)

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Take it: it takes effect at once, or waits for a manager's approval."""
        return self._change(
            pk, lambda s: swap_services.swap_request_accept(request=s, by=request.user)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Say no to a request naming you, or pass on an open one."""
        return self._change(
            pk, lambda s: swap_services.swap_request_decline(request=s, by=request.user)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._change(
            pk, lambda s: swap_services.swap_request_withdraw(request=s, by=request.user)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._change(
            pk, lambda s: swap_services.swap_request_approve(request=s, by=request.user)
        )

    @extend_schema(request=SwapRejectSerializer, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        note = self.body(SwapRejectSerializer)["note"]
        return self._change(
            pk, lambda s: swap_services.swap_request_reject(request=s, by=request.user, note=note)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def revert(self, request, pk=None):
        """Undo it before the shift starts: at once for a manager; otherwise one of the two
        people asks and the other confirms."""
        return self._change(
            pk, lambda s: swap_services.swap_request_revert(request=s, by=request.user)
        )


# -------------------------------------------------------------------------------- time off
class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "start", "end", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"note": {"required": False}}

    start = BoundedDateTimeField()
    end = BoundedDateTimeField()


class TimeOffViewSet(ApiViewSet):
    """Your time off that has not ended: shifts that clash with it are flagged to you and your
    managers."""

    serializer_class = TimeOffSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return swap_selectors.upcoming_time_off(user=self.request.user)

    def list(self, request):
        return self.page_or_list(self.get_queryset(), TimeOffSerializer)

    @extend_schema(request=TimeOffSerializer, responses={201: TimeOffSerializer})
    def create(self, request):
        data = self.body(TimeOffSerializer)
        row = swap_services.time_off_create(user=request.user, **data)
        return Response(TimeOffSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        row = get_object_or_404(TimeOff, pk=pk)
        swap_services.time_off_delete(time_off=row, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("schedules", ScheduleViewSet, basename="schedule")
    router.register(r"schedules/(?P<schedule_pk>\d+)/layers", LayerViewSet, basename="layer")
    router.register(
        r"schedules/(?P<schedule_pk>\d+)/overrides", OverrideViewSet, basename="override"
    )
    router.register("swap-requests", SwapRequestViewSet, basename="swap-request")
    router.register("time-off", TimeOffViewSet, basename="time-off")


urlpatterns = [
    path("oncall/", OnCallView.as_view(), name="oncall"),
    path("my-shifts/", MyShiftsView.as_view(), name="my-shifts"),
    path("rota-preferences/", RotaPreferencesView.as_view(), name="rota-preferences"),
    path(
        "rota-preferences/regenerate-feed-token/",
        RotaFeedTokenView.as_view(),
        name="rota-feed-token",
    ),
]
