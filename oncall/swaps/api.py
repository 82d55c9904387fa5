"""REST API for swap and cover requests and time off: ask, accept, decline (or pass on an open
request), withdraw, approve or reject (managers, when the team requires approval) and revert;
one's own time off.

Requests are seen by the schedule's team (:mod:`oncall.swaps.access`) and answered as the swap
services allow (they raise PermissionDenied or ValidationError themselves). Writes go through
:mod:`oncall.swaps.services` and :mod:`oncall.swaps.time_off`, reads through the modules
that own each list (:mod:`oncall.swaps.lists`, :mod:`oncall.swaps.one_request`, …).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall.serializers import OverrideSerializer
from oncall.swaps import access, services
from oncall.swaps import time_off as time_off_services
from oncall.swaps.actions import actions_for
from oncall.swaps.clashes import upcoming_time_off
from oncall.swaps.lists import (
    history,
    my_requests,
    open_requests_for,
    requests_to_me,
    team_requests,
)
from oncall.swaps.models import SwapRequest, TimeOff
from oncall.swaps.one_request import request_detail, request_events, request_overrides
from portal.api.base import ApiViewSet, BoundedDateTimeField, UsernameField, UserRefSerializer


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
        actions = actions_for(user=self.context["request"].user, request=swap)
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
        return SwapEventSerializer(request_events(request=swap), many=True).data

    @extend_schema_field(OverrideSerializer(many=True))
    def get_overrides(self, swap):
        links = request_overrides(request=swap)
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
        return access.request_for_viewer_or_404(user=self.request.user, pk=pk)

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        swap = request_detail(pk=pk)
        return Response(
            SwapDetailSerializer(swap, context={"request": self.request}).data, status=code
        )

    @extend_schema(parameters=[SwapFilterSerializer])
    def list(self, request):
        box = self.query(SwapFilterSerializer)["box"]
        user = request.user
        if box == "to_me":
            rows = requests_to_me(user=user)
        elif box == "mine":
            rows = my_requests(user=user)
        elif box == "open":
            rows = open_requests_for(user=user)
        elif box == "team":
            rows = team_requests(user=user)
        else:
            rows = history(user=user)
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
        schedule = access.schedule_for_asker_or_404(user=request.user, pk=data.pop("schedule"))
        requester = data.pop("requester", None) or request.user
        swap = services.swap_request_create(
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
        return self._change(pk, lambda s: services.swap_request_accept(request=s, by=request.user))

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Say no to a request naming you, or pass on an open one."""
        return self._change(pk, lambda s: services.swap_request_decline(request=s, by=request.user))

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._change(
            pk, lambda s: services.swap_request_withdraw(request=s, by=request.user)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._change(pk, lambda s: services.swap_request_approve(request=s, by=request.user))

    @extend_schema(request=SwapRejectSerializer, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        note = self.body(SwapRejectSerializer)["note"]
        return self._change(
            pk, lambda s: services.swap_request_reject(request=s, by=request.user, note=note)
        )

    @extend_schema(request=None, responses=SwapDetailSerializer)
    @action(detail=True, methods=["post"])
    def revert(self, request, pk=None):
        """Undo it before the shift starts: at once for a manager; otherwise one of the two
        people asks and the other confirms."""
        return self._change(pk, lambda s: services.swap_request_revert(request=s, by=request.user))


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
        return upcoming_time_off(user=self.request.user)

    def list(self, request):
        return self.page_or_list(self.get_queryset(), TimeOffSerializer)

    @extend_schema(request=TimeOffSerializer, responses={201: TimeOffSerializer})
    def create(self, request):
        data = self.body(TimeOffSerializer)
        row = time_off_services.time_off_create(user=request.user, **data)
        return Response(TimeOffSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        row = get_object_or_404(TimeOff, pk=pk)
        time_off_services.time_off_delete(time_off=row, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """This sub-app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("swap-requests", SwapRequestViewSet, basename="swap-request")
    router.register("time-off", TimeOffViewSet, basename="time-off")


urlpatterns = []
