"""The escalation policies API: a team's policies and their steps; its managers only."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents import access, policies, selectors
from incidents.api.refs import ManagedTeamFilterSerializer, service_ref, team_ref
from incidents.models import EscalationPolicy, EscalationStep
from oncall.models import Schedule
from portal.api.base import ApiViewSet, TeamRefSerializer, UsernameField, UserRefSerializer
from portal.people.access import team_for_manager_or_404


# ------------------------------------------------------------------------------- policies
class StepSerializer(serializers.ModelSerializer):
    schedules = serializers.SerializerMethodField()
    users = UserRefSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationStep
        fields = [
            "id",
            "position",
            "wait_minutes",
            "schedules",
            "users",
            "notify_managers",
            "notify_team",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_schedules(self, step) -> list:
        return [{"id": s.pk, "name": s.name} for s in step.schedules.all()]


class PolicySerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "team",
            "service",
            "name",
            "description",
            "repeat_count",
            "steps",
            "created_at",
        ]
        read_only_fields = fields


class PolicyUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    repeat_count = serializers.IntegerField(min_value=0, max_value=10)
    description = serializers.CharField(allow_blank=True, required=False, default="")


class PolicyCreateSerializer(PolicyUpdateSerializer):
    team = team_ref()
    service = service_ref(required=False, allow_null=True, default=None)
    repeat_count = serializers.IntegerField(min_value=0, max_value=10, default=0)


class StepWriteSerializer(serializers.Serializer):
    wait_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, default=10)
    schedules = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**53),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of the team's schedules whose on-call person is paged.",
    )
    users = serializers.ListField(
        child=UsernameField(), required=False, default=list, max_length=50
    )
    notify_managers = serializers.BooleanField(default=False)
    notify_team = serializers.BooleanField(default=False)

    def validate_schedules(self, ids):
        found = {s.pk: s for s in Schedule.objects.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise serializers.ValidationError(f"No schedule with id {missing[0]}.")
        return [found[i] for i in dict.fromkeys(ids)]


class StepMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["up", "down"])


class PolicyViewSet(ApiViewSet):
    """A team's escalation policies and their steps; managers only, like the pages."""

    serializer_class = PolicySerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return EscalationPolicy.objects.none()

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        return Response(PolicySerializer(selectors.policy_detail(pk=pk)).data, status=code)

    @extend_schema(parameters=[ManagedTeamFilterSerializer])
    def list(self, request):
        team = team_for_manager_or_404(
            user=request.user, slug=self.query(ManagedTeamFilterSerializer)["team"]
        )
        return self.page_or_list(selectors.team_policies(team=team), PolicySerializer)

    def retrieve(self, request, pk=None):
        return Response(
            PolicySerializer(access.policy_for_manager_or_404(user=request.user, pk=pk)).data
        )

    @extend_schema(request=PolicyCreateSerializer, responses={201: PolicySerializer})
    def create(self, request):
        data = self.body(PolicyCreateSerializer)
        team = team_for_manager_or_404(user=request.user, slug=data.pop("team").slug)
        policy = policies.policy_create(team=team, **data)
        return self._out(policy.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PolicyUpdateSerializer, responses=PolicySerializer)
    def update(self, request, pk=None, partial=False):
        policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
        data = self.body(PolicyUpdateSerializer, partial=partial)
        current = {
            "name": policy.name,
            "repeat_count": policy.repeat_count,
            "description": policy.description,
        }
        policies.policy_update(policy=policy, **{**current, **data})
        return self._out(pk)

    @extend_schema(request=PolicyUpdateSerializer, responses=PolicySerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        policies.policy_delete(policy=access.policy_for_manager_or_404(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StepWriteSerializer, responses={201: PolicySerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Add a step at the end: page every target at once, then wait."""
        policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
        data = self.body(StepWriteSerializer)
        policies.step_add(policy=policy, **data)
        return self._out(pk, status.HTTP_201_CREATED)


class StepViewSet(ApiViewSet):
    """One step of an escalation policy; managers only."""

    serializer_class = StepSerializer
    lookup_value_regex = r"\d+"
    pagination_class = None

    def get_queryset(self):
        return EscalationStep.objects.none()

    def _step(self, pk) -> EscalationStep:
        return access.step_for_manager_or_404(
            user=self.request.user, pk=pk, policy_pk=self.kwargs["policy_pk"]
        )

    def _out(self) -> Response:
        policy = selectors.policy_detail(pk=self.kwargs["policy_pk"])
        return Response(PolicySerializer(policy).data)

    def retrieve(self, request, policy_pk=None, pk=None):
        return Response(StepSerializer(self._step(pk)).data)

    @extend_schema(request=StepWriteSerializer, responses=PolicySerializer)
    def partial_update(self, request, policy_pk=None, pk=None):
        step = self._step(pk)
        data = self.body(StepWriteSerializer, partial=True)
        current = {
            "wait_minutes": step.wait_minutes,
            "schedules": list(step.schedules.all()),
            "users": list(step.users.all()),
            "notify_managers": step.notify_managers,
            "notify_team": step.notify_team,
        }
        policies.step_update(step=step, **{**current, **data})
        return self._out()

    @extend_schema(responses={204: None})
    def destroy(self, request, policy_pk=None, pk=None):
        policies.step_remove(step=self._step(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StepMoveSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, policy_pk=None, pk=None):
        step = self._step(pk)
        data = self.body(StepMoveSerializer)
        policies.step_move(step=step, up=data["direction"] == "up")
        return self._out()
