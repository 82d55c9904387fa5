"""REST API for rotas: schedules, their layers and overrides, the final schedule (shifts),
who is on call, your own shifts and reminder settings. Swap and cover requests and time off
are the swaps sub-app's (:mod:`oncall.swaps.api`).

Permissions are the pages', answered by :mod:`oncall.access`: everyone signed in reads
schedules and who is on call; a team's managers (and staff) create, edit and delete its
schedules and edit its layers; members add overrides for themselves, managers for anyone in
the team; an override is edited or removed by its person, its creator or a manager. Writes go
through :mod:`oncall.services`, reads through the selectors; the shapes are in
:mod:`oncall.serializers`.
"""

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall import access, layer_services, selectors, services
from oncall.models import Layer, Override, Schedule
from oncall.serializers import (
    LayerMoveSerializer,
    LayerSerializer,
    LayerUpdateSerializer,
    LayerWriteSerializer,
    MyShiftSerializer,
    OnCallQuerySerializer,
    OnCallSerializer,
    OverrideCreateSerializer,
    OverrideSerializer,
    OverrideUpdateSerializer,
    RotaPreferencesSerializer,
    ScheduleCreateSerializer,
    ScheduleDetailSerializer,
    ScheduleFilterSerializer,
    ScheduleSerializer,
    ScheduleUpdateSerializer,
    ShiftSerializer,
    WindowSerializer,
)
from portal.api.base import ApiView, ApiViewSet
from portal.api.strict import validated, validated_query
from portal.catalog.models import Service
from portal.people.access import team_for_manager_or_404
from portal.people.models import Team


# ------------------------------------------------------------------------------- schedules
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
        schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
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
        schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
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
        schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
        token = services.schedule_token_regenerate(schedule=schedule)
        return Response(_schedule_out(request, schedule.pk, feed_token=token))


# ---------------------------------------------------------------------------------- layers
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

    def _schedule_to_change(self) -> Schedule:
        return access.schedule_for_manager_or_404(
            user=self.request.user, pk=self.kwargs["schedule_pk"]
        )

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
        schedule = self._schedule_to_change()
        data = self.body(LayerWriteSerializer)
        layer = layer_services.layer_create(schedule=schedule, by=request.user, **data)
        return self._out(schedule, layer, status.HTTP_201_CREATED)

    @extend_schema(request=LayerUpdateSerializer, responses=LayerSerializer)
    def update(self, request, schedule_pk=None, pk=None, partial=False):
        schedule = self._schedule_to_change()
        layer = selectors.current_version(schedule=schedule, pk=pk)
        data = self.body(LayerUpdateSerializer, partial=partial)
        participants = data.pop("participants", None)
        layer = layer_services.layer_update(
            layer=layer, participants=participants, by=request.user, **data
        )
        return self._out(schedule, layer)

    @extend_schema(request=LayerUpdateSerializer, responses=LayerSerializer)
    def partial_update(self, request, schedule_pk=None, pk=None):
        return self.update(request, schedule_pk=schedule_pk, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, schedule_pk=None, pk=None):
        """Stop the layer from now on; its past shifts stay in the history."""
        schedule = self._schedule_to_change()
        layer_services.layer_remove(layer=selectors.current_version(schedule=schedule, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=LayerMoveSerializer, responses=LayerSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, schedule_pk=None, pk=None):
        """Swap the layer with the one above (``up``) or below it, from now on."""
        schedule = self._schedule_to_change()
        layer = selectors.current_version(schedule=schedule, pk=pk)
        data = self.body(LayerMoveSerializer)
        layer = layer_services.layer_move(
            layer=layer, up=data["direction"] == "up", by=request.user
        )
        return self._out(schedule, layer)


# ------------------------------------------------------------------------------- overrides
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
        schedule = access.schedule_for_member_or_404(user=request.user, pk=schedule_pk)
        data = self.body(OverrideCreateSerializer)
        person = data.pop("user", None) or request.user
        if person.pk != request.user.pk and not access.can_manage_schedule(
            user=request.user, schedule=schedule
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

    @extend_schema(request=OverrideUpdateSerializer, responses=OverrideSerializer)
    def update(self, request, schedule_pk=None, pk=None, partial=False):
        """Change an override's person, times or reason, as the rules for adding one allow;
        a running override keeps its person and start, and a finished one cannot change."""
        override = access.override_for_changer_or_404(
            user=request.user, schedule_pk=schedule_pk, pk=pk, verb="edit"
        )
        manager = access.can_manage_schedule(user=request.user, schedule=override.schedule)
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
        override = access.override_for_changer_or_404(
            user=request.user, schedule_pk=schedule_pk, pk=pk, verb="remove"
        )
        services.override_remove(override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------- who is on call
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


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("schedules", ScheduleViewSet, basename="schedule")
    router.register(r"schedules/(?P<schedule_pk>\d+)/layers", LayerViewSet, basename="layer")
    router.register(
        r"schedules/(?P<schedule_pk>\d+)/overrides", OverrideViewSet, basename="override"
    )


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
