"""REST API for incidents: incidents and their timeline, alerts, integrations, escalation
policies and their steps, service maintenance windows, postmortems (read) and action items.

Permissions are the pages': everyone signed in reads incidents and alerts and may declare an
incident; members of the owning team (and staff) act on it (acknowledge, resolve, escalate,
note, severity, roles, reassign); a team's managers (and staff) manage its integrations,
escalation policies and its services' maintenance. Published postmortems are for everyone,
drafts for their editors and reviewers; action items are created by a postmortem's editors
and changed by them or the item's owner. Writes go through :mod:`incidents.services` and
:mod:`incidents.postmortems.services`, reads through the selectors.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import (
    Alert,
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
    Severity,
)
from incidents.postmortems import selectors as pm_selectors
from incidents.postmortems import services as pm_services
from incidents.postmortems.models import ActionItem, Postmortem
from oncall.models import Schedule
from portal.api.base import (
    ApiView,
    ApiViewSet,
    BoundedDateField,
    BoundedDateTimeField,
    RefField,
    TeamRefSerializer,
    UsernameField,
    UserRefSerializer,
)
from portal.api.pagination import CursorPagination
from portal.api.strict import validated
from portal.catalog.api import ServiceRefSerializer
from portal.catalog.models import Service
from portal.catalog.selectors import service_detail
from portal.people.access import can_manage_team, team_for_manager_or_404
from portal.people.models import Team

NOTE_MAX = services.NOTE_MAX


class IntegrationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Integration.Kind.choices, read_only=True)


def _service_ref(help_text: str = "A service slug.", **kwargs):
    return RefField(
        slug_field="slug",
        queryset=Service.objects.filter(archived_at__isnull=True),
        help_text=help_text,
        **kwargs,
    )


def _team_ref(**kwargs):
    return RefField(
        slug_field="slug", queryset=Team.objects.all(), help_text="A team slug.", **kwargs
    )


def _filter_team_and_service(filters: dict) -> tuple[Team | None, Service | None]:
    """The team and service named by a list's ``team`` and ``service`` query parameters
    (None where not given); 400 for a slug that names nothing."""
    team = service = None
    if filters.get("team"):
        team = Team.objects.filter(slug=filters["team"]).first()
        if team is None:
            raise serializers.ValidationError({"team": "No such team."})
    if filters.get("service"):
        service = Service.objects.filter(slug=filters["service"]).first()
        if service is None:
            raise serializers.ValidationError({"service": "No such service."})
    return team, service


class ManagedTeamFilterSerializer(serializers.Serializer):
    team = serializers.SlugField(max_length=80, help_text="A team you manage.")


# ------------------------------------------------------------------------------- incidents
class IncidentSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    services = ServiceRefSerializer(many=True, read_only=True)
    commander = UserRefSerializer(read_only=True, allow_null=True)
    alert_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "severity",
            "status",
            "team",
            "services",
            "commander",
            "alert_count",
            "triggered_at",
            "acknowledged_at",
            "resolved_at",
        ]
        read_only_fields = fields


class EscalationStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["paging", "waiting", "stopped", "finished", "suppressed"]
    )
    text = serializers.CharField()
    next_at = serializers.DateTimeField(allow_null=True)


class IncidentDetailSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    services = ServiceRefSerializer(many=True, read_only=True)
    integration = IntegrationRefSerializer(read_only=True, allow_null=True)
    commander = UserRefSerializer(read_only=True, allow_null=True)
    comms_lead = UserRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    acknowledged_by = UserRefSerializer(read_only=True, allow_null=True)
    resolved_by = UserRefSerializer(read_only=True, allow_null=True)
    escalation_policy = serializers.SerializerMethodField()
    escalation = serializers.SerializerMethodField()
    can_act = serializers.SerializerMethodField(
        help_text="Whether you may act on it (members of the owning team and staff)."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "description",
            "severity",
            "status",
            "team",
            "services",
            "integration",
            "commander",
            "comms_lead",
            "created_by",
            "triggered_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "actionable",
            "resolution_note",
            "paging_suppressed_reason",
            "escalation_policy",
            "escalation",
            "can_act",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True, help_text="id and name"))
    def get_escalation_policy(self, incident) -> dict | None:
        policy = incident.escalation_policy
        return {"id": policy.pk, "name": policy.name} if policy is not None else None

    @extend_schema_field(EscalationStateSerializer)
    def get_escalation(self, incident):
        view = selectors.escalation_view(incident=incident)
        return EscalationStateSerializer(
            {"state": view.state, "text": view.text, "next_at": view.next_at}
        ).data

    def get_can_act(self, incident) -> bool:
        return selectors.can_act(user=self.context["request"].user, incident=incident)


class IncidentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["open", "triggered", "acknowledged", "resolved", "all"],
        default="open",
        help_text="Default: open (triggered or acknowledged).",
    )
    team = serializers.SlugField(required=False, max_length=80)
    service = serializers.SlugField(required=False, max_length=80)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    mine = serializers.BooleanField(
        default=False, help_text="Incidents of your teams or where you have a role."
    )


class IncidentDeclareSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    services = serializers.ListField(
        child=_service_ref(),
        required=False,
        default=list,
        max_length=100,
        help_text="Affected services: the incident goes to the owner of the first one.",
    )
    team = _team_ref(required=False, allow_null=True, default=None)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX
    )

    def validate(self, data):
        if not data["services"] and data["team"] is None:
            raise serializers.ValidationError(
                {"services": "Name an affected service, or choose a team."}
            )
        return data


class ResolveSerializer(serializers.Serializer):
    actionable = serializers.BooleanField(
        help_text="Did this need a person? It feeds the load review."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX)
    status_update = serializers.BooleanField(
        default=False, help_text="Post as a status update for people following the incident."
    )


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[("commander", "Commander"), ("comms_lead", "Comms")])
    user = UsernameField(allow_null=True, help_text="A username, or null to clear the role.")


class ReassignSerializer(serializers.Serializer):
    team = _team_ref()


class EventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    target = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "at", "kind", "actor", "message", "target"]
        read_only_fields = fields


class IncidentCursorPagination(CursorPagination):
    ordering = ("-triggered_at", "-pk")


class IncidentViewSet(ApiViewSet):
    """Incidents, newest first (cursor pagination)."""

    serializer_class = IncidentSerializer
    pagination_class = IncidentCursorPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Incident.objects.none()

    def _out(self, request, pk, code=status.HTTP_200_OK) -> Response:
        incident = selectors.incident_detail(pk=pk)
        return Response(
            IncidentDetailSerializer(incident, context={"request": request}).data, status=code
        )

    def _actor(self, pk) -> Incident:
        return selectors.incident_for_actor_or_403(user=self.request.user, pk=pk)

    @extend_schema(parameters=[IncidentFilterSerializer])
    def list(self, request):
        filters = self.query(IncidentFilterSerializer)
        team, service = _filter_team_and_service(filters)
        incidents = selectors.incident_search(
            user=request.user,
            status="" if filters["status"] == "all" else filters["status"],
            team=team,
            service=service,
            severity=filters.get("severity"),
            mine=filters["mine"],
        )
        return self.page_or_list(incidents, IncidentSerializer)

    @extend_schema(responses=IncidentDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._out(request, pk)

    @extend_schema(request=IncidentDeclareSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request):
        """Declare an incident by hand (anyone signed in may, for any team; at most
        ``INCIDENT_DECLARE_RATE`` per person, pages and API together: 429 beyond)."""
        data = self.body(IncidentDeclareSerializer)
        attempt = services.incident_declare_attempt(by=request.user)
        if attempt.refused:
            raise Throttled(
                wait=attempt.retry_after, detail=services.incident_declare_refusal(attempt)
            )
        try:
            incident = services.incident_declare(by=request.user, **data)
        except Exception:
            attempt.undo()
            raise
        return self._out(request, incident.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Stop escalation: somebody is on it."""
        services.incident_acknowledge(incident=self._actor(pk), by=request.user)
        return self._out(request, pk)

    @extend_schema(request=ResolveSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = self._actor(pk)
        data = self.body(ResolveSerializer)
        services.incident_resolve(incident=incident, by=request.user, **data)
        return self._out(request, pk)

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Escalate now: the next step fires at once."""
        services.incident_escalate(incident=self._actor(pk), by=request.user)
        return self._out(request, pk)

    @extend_schema(request=SeveritySerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def severity(self, request, pk=None):
        incident = self._actor(pk)
        data = self.body(SeveritySerializer)
        services.incident_set_severity(
            incident=incident, severity=data["severity"], by=request.user
        )
        return self._out(request, pk)

    @extend_schema(request=RoleSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def role(self, request, pk=None):
        """Set or clear the commander or the communications lead."""
        incident = self._actor(pk)
        data = self.body(RoleSerializer)
        services.incident_set_role(
            incident=incident, role=data["role"], user=data["user"], by=request.user
        )
        return self._out(request, pk)

    @extend_schema(request=ReassignSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Hand the incident to another team; its policy pages from the first step."""
        incident = self._actor(pk)
        data = self.body(ReassignSerializer)
        services.incident_reassign(incident=incident, team=data["team"], by=request.user)
        return self._out(request, pk)

    @extend_schema(methods=["GET"], responses=EventSerializer(many=True))
    @extend_schema(methods=["POST"], request=NoteSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def events(self, request, pk=None):
        """The timeline, newest first (GET); add a note or status update to it (POST)."""
        if request.method == "POST":
            incident = self._actor(pk)
            data = self.body(NoteSerializer)
            event = services.incident_add_note(
                incident=incident,
                text=data["text"],
                status_update=data["status_update"],
                by=request.user,
            )
            event = selectors.incident_timeline(incident=incident).get(pk=event.pk)
            return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)
        incident = selectors.incident_detail(pk=pk)
        events = selectors.incident_timeline(incident=incident)[:500]
        return Response(EventSerializer(events, many=True).data)


# ---------------------------------------------------------------------------------- alerts
class AlertSerializer(serializers.ModelSerializer):
    integration = IntegrationRefSerializer(read_only=True)
    incident = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "incident",
            "integration",
            "dedup_key",
            "status",
            "summary",
            "severity",
            "source",
            "labels",
            "annotations",
            "payload",
            "starts_at",
            "ends_at",
            "received_at",
            "updated_at",
            "resolved_at",
        ]
        read_only_fields = fields


class AlertFilterSerializer(serializers.Serializer):
    incident = serializers.IntegerField(required=False, min_value=1, max_value=2**53)
    integration = serializers.IntegerField(required=False, min_value=1, max_value=2**53)
    team = serializers.SlugField(required=False, max_length=80, help_text="The incident's team.")
    status = serializers.ChoiceField(choices=Alert.Status.choices, required=False)


class AlertCursorPagination(CursorPagination):
    ordering = ("-received_at", "-pk")


class AlertViewSet(ApiViewSet):
    """Alerts as received from integrations, newest first (cursor pagination)."""

    serializer_class = AlertSerializer
    pagination_class = AlertCursorPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Alert.objects.select_related("integration")

    @extend_schema(parameters=[AlertFilterSerializer])
    def list(self, request):
        filters = self.query(AlertFilterSerializer)
        if "incident" in filters:
            incident = selectors.incident_detail(pk=filters["incident"])
            alerts = selectors.incident_alerts(incident=incident).select_related("integration")
        else:
            alerts = self.get_queryset()
        if "integration" in filters:
            alerts = alerts.filter(integration_id=filters["integration"])
        if "team" in filters:
            alerts = alerts.filter(incident__team__slug=filters["team"])
        if "status" in filters:
            alerts = alerts.filter(status=filters["status"])
        return self.page_or_list(alerts, AlertSerializer)

    def retrieve(self, request, pk=None):
        return Response(AlertSerializer(self.get_object()).data)


# ---------------------------------------------------------------------------- integrations
class IntegrationSerializer(serializers.ModelSerializer):
    team = serializers.SerializerMethodField(help_text="The owning team's slug.")
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "team",
            "service",
            "token_prefix",
            "token_rotated_at",
            "enabled",
            "auto_resolve",
            "severity_map",
            "default_severity",
            "rate_limit_per_minute",
            "heartbeat_minutes",
            "last_ping_at",
            "last_alert_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_team(self, integration) -> str:
        return selectors.integration_owner_team(integration).slug


class IntegrationTokenSerializer(serializers.Serializer):
    """The integration and its token: the only time the token is readable."""

    integration = IntegrationSerializer()
    token = serializers.CharField()
    webhook_url = serializers.URLField(
        help_text=(
            "POST alerts here (Alertmanager webhook v4, or generic JSON). The answer is 202 "
            '{"status": "accepted", "alerts": <n>} once the payload is stored (400: invalid, '
            "nothing stored; 429: rate limit, see Retry-After; 503: not stored, send again). "
            "Alerts and incidents are created in the background within moments, in the "
            "order the payloads arrived, timed from their receipt."
        )
    )
    heartbeat_url = serializers.URLField(allow_null=True)


def _severity_map():
    return serializers.DictField(
        child=serializers.ChoiceField(choices=Severity.choices),
        help_text='Value of the alert\'s severity label → severity 1–4, e.g. {"critical": 2}.',
    )


class IntegrationSettingsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    enabled = serializers.BooleanField(default=True)
    auto_resolve = serializers.BooleanField(default=True)
    severity_map = _severity_map()
    default_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV4)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, max_value=100_000, default=120)
    heartbeat_minutes = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, allow_null=True, default=None
    )

    def validate_severity_map(self, value):
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 entries.")
        if any(len(k) > 100 for k in value):
            raise serializers.ValidationError("Keep label values under 100 characters.")
        return {k.strip().lower(): int(v) for k, v in value.items()}


class IntegrationCreateSerializer(IntegrationSettingsSerializer):
    team = _team_ref()
    kind = serializers.ChoiceField(choices=Integration.Kind.choices)
    service = _service_ref(
        required=False,
        allow_null=True,
        default=None,
        help_text="One of the team's services (empty: the whole team).",
    )
    severity_map = _severity_map()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity_map"].default = {"critical": 2, "warning": 3}
        self.fields["severity_map"].required = False
        self.fields.pop("enabled")


def _token_out(request, integration: Integration, token: str, code=status.HTTP_200_OK):
    heartbeat = None
    if integration.heartbeat_minutes:
        heartbeat = request.build_absolute_uri(reverse("incidents:hook_heartbeat", args=[token]))
    payload = {
        "integration": integration,
        "token": token,
        "webhook_url": request.build_absolute_uri(integration.webhook_path(token)),
        "heartbeat_url": heartbeat,
    }
    response = Response(IntegrationTokenSerializer(payload).data, status=code)
    response["Cache-Control"] = "no-store"
    return response


class IntegrationViewSet(ApiViewSet):
    """A team's integrations (where alerts come in); managers only, like the pages."""

    serializer_class = IntegrationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Integration.objects.none()

    def _managed(self, pk) -> Integration:
        integration = get_object_or_404(
            Integration.objects.select_related("team", "service__team"), pk=pk
        )
        team = selectors.integration_owner_team(integration)
        if not can_manage_team(user=self.request.user, team=team):
            raise PermissionDenied("Only the owning team's managers can change its integrations.")
        return integration

    @extend_schema(parameters=[ManagedTeamFilterSerializer])
    def list(self, request):
        team = team_for_manager_or_404(
            user=request.user, slug=self.query(ManagedTeamFilterSerializer)["team"]
        )
        return self.page_or_list(selectors.team_integrations(team=team), IntegrationSerializer)

    def retrieve(self, request, pk=None):
        return Response(IntegrationSerializer(self._managed(pk)).data)

    @extend_schema(request=IntegrationCreateSerializer, responses={201: IntegrationTokenSerializer})
    def create(self, request):
        """Create an integration. The answer carries its token, shown this once only."""
        data = self.body(IntegrationCreateSerializer)
        team = team_for_manager_or_404(user=request.user, slug=data.pop("team").slug)
        service = data.pop("service")
        if service is not None and service.team_id != team.pk:
            raise serializers.ValidationError({"service": f"Choose one of {team.name}'s services."})
        integration, token = services.integration_create(
            by=request.user, team=None if service else team, service=service, **data
        )
        return _token_out(request, integration, token, status.HTTP_201_CREATED)

    @extend_schema(request=IntegrationSettingsSerializer, responses=IntegrationSerializer)
    def partial_update(self, request, pk=None):
        integration = self._managed(pk)
        data = self.body(IntegrationSettingsSerializer, partial=True)
        if data:
            integration = services.integration_update(integration=integration, **data)
        return Response(IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses=IntegrationTokenSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """A new token; the old one stops working at once."""
        integration, token = services.integration_rotate_token(integration=self._managed(pk))
        return _token_out(request, integration, token)


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
    team = _team_ref()
    service = _service_ref(required=False, allow_null=True, default=None)
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

    def _managed(self, pk) -> EscalationPolicy:
        policy = selectors.policy_detail(pk=pk)
        if not can_manage_team(user=self.request.user, team=policy.team):
            raise PermissionDenied("Only the team's managers can change its escalation policies.")
        return policy

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        return Response(PolicySerializer(selectors.policy_detail(pk=pk)).data, status=code)

    @extend_schema(parameters=[ManagedTeamFilterSerializer])
    def list(self, request):
        team = team_for_manager_or_404(
            user=request.user, slug=self.query(ManagedTeamFilterSerializer)["team"]
        )
        return self.page_or_list(selectors.team_policies(team=team), PolicySerializer)

    def retrieve(self, request, pk=None):
        return Response(PolicySerializer(self._managed(pk)).data)

    @extend_schema(request=PolicyCreateSerializer, responses={201: PolicySerializer})
    def create(self, request):
        data = self.body(PolicyCreateSerializer)
        team = team_for_manager_or_404(user=request.user, slug=data.pop("team").slug)
        policy = services.policy_create(team=team, **data)
        return self._out(policy.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PolicyUpdateSerializer, responses=PolicySerializer)
    def update(self, request, pk=None, partial=False):
        policy = self._managed(pk)
        data = self.body(PolicyUpdateSerializer, partial=partial)
        current = {
            "name": policy.name,
            "repeat_count": policy.repeat_count,
            "description": policy.description,
        }
        services.policy_update(policy=policy, **{**current, **data})
        return self._out(pk)

    @extend_schema(request=PolicyUpdateSerializer, responses=PolicySerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.policy_delete(policy=self._managed(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StepWriteSerializer, responses={201: PolicySerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Add a step at the end: page every target at once, then wait."""
        policy = self._managed(pk)
        data = self.body(StepWriteSerializer)
        services.step_add(policy=policy, **data)
        return self._out(pk, status.HTTP_201_CREATED)


class StepViewSet(ApiViewSet):
    """One step of an escalation policy; managers only."""

    serializer_class = StepSerializer
    lookup_value_regex = r"\d+"
    pagination_class = None

    def get_queryset(self):
        return EscalationStep.objects.none()

    def _managed(self, pk) -> EscalationStep:
        step = get_object_or_404(
            EscalationStep.objects.select_related("policy__team").prefetch_related(
                "schedules", "users__profile"
            ),
            pk=pk,
            policy_id=self.kwargs["policy_pk"],
        )
        if not can_manage_team(user=self.request.user, team=step.policy.team):
            raise PermissionDenied("Only the team's managers can change its escalation policies.")
        return step

    def _out(self) -> Response:
        policy = selectors.policy_detail(pk=self.kwargs["policy_pk"])
        return Response(PolicySerializer(policy).data)

    def retrieve(self, request, policy_pk=None, pk=None):
        return Response(StepSerializer(self._managed(pk)).data)

    @extend_schema(request=StepWriteSerializer, responses=PolicySerializer)
    def partial_update(self, request, policy_pk=None, pk=None):
        step = self._managed(pk)
        data = self.body(StepWriteSerializer, partial=True)
        current = {
            "wait_minutes": step.wait_minutes,
            "schedules": list(step.schedules.all()),
            "users": list(step.users.all()),
            "notify_managers": step.notify_managers,
            "notify_team": step.notify_team,
        }
        services.step_update(step=step, **{**current, **data})
        return self._out()

    @extend_schema(responses={204: None})
    def destroy(self, request, policy_pk=None, pk=None):
        services.step_remove(step=self._managed(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StepMoveSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, policy_pk=None, pk=None):
        step = self._managed(pk)
        data = self.body(StepMoveSerializer)
        services.step_move(step=step, up=data["direction"] == "up")
        return self._out()


# ----------------------------------------------------------------------------- maintenance
class MaintenanceSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "starts_at", "ends_at", "reason", "created_by", "created_at"]
        read_only_fields = fields


class MaintenanceStateSerializer(serializers.Serializer):
    window = MaintenanceSerializer(allow_null=True, help_text="The running window, or null.")


class MaintenanceStartSerializer(serializers.Serializer):
    ends_at = BoundedDateTimeField(help_text="When alerts page again (in the future).")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MaintenanceView(ApiView):
    """A service's maintenance window: while it runs, its alerts are recorded but page
    nobody. GET: the current window (null when none); POST: start one (replacing any);
    DELETE: end it now. The owning team's managers only."""

    def _service(self, slug, *, manage: bool) -> Service:
        service = service_detail(slug=slug)
        if manage and not can_manage_team(user=self.request.user, team=service.team):
            raise PermissionDenied("Only the owning team's managers can put it in maintenance.")
        return service

    @extend_schema(responses=MaintenanceStateSerializer)
    def get(self, request, slug):
        service = self._service(slug, manage=True)
        window = selectors.active_maintenance(service=service)
        return Response(MaintenanceStateSerializer({"window": window}).data)

    @extend_schema(request=MaintenanceStartSerializer, responses={201: MaintenanceSerializer})
    def post(self, request, slug):
        service = self._service(slug, manage=True)
        data = validated(MaintenanceStartSerializer(data=request.data))
        window = services.maintenance_start(service=service, by=request.user, **data)
        return Response(MaintenanceSerializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request, slug):
        services.maintenance_end(service=self._service(slug, manage=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "ActionItemViewSet",
    "AlertViewSet",
    "IncidentViewSet",
    "IntegrationViewSet",
    "MaintenanceView",
    "PolicyViewSet",
    "PostmortemViewSet",
    "StepViewSet",
]


# ----------------------------------------------------------------------------- postmortems
class PostmortemSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    services = ServiceRefSerializer(many=True, read_only=True)
    incident = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "incident",
            "team",
            "title",
            "severity",
            "status",
            "services",
            "started_at",
            "resolved_at",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields


class PostmortemSectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    prompt = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")


class TimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    annotation = serializers.CharField()
    actor_name = serializers.CharField()


class ReviewerSerializer(serializers.Serializer):
    user = UserRefSerializer()
    approved_at = serializers.DateTimeField(allow_null=True)


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    postmortem = serializers.PrimaryKeyRelatedField(read_only=True)
    tracker_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    closed_by = UserRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "postmortem",
            "title",
            "owner",
            "due_date",
            "service",
            "priority",
            "tracker_url",
            "status",
            "reason",
            "overdue",
            "closed_at",
            "closed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        return item.is_overdue(timezone.localdate())


class PostmortemDetailSerializer(PostmortemSerializer):
    people = UserRefSerializer(many=True, read_only=True)
    sections = PostmortemSectionSerializer(many=True, read_only=True)
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    reviewers = ReviewerSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)
    can_edit = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = PostmortemSerializer.Meta.fields + [
            "acknowledged_at",
            "people",
            "sections",
            "timeline",
            "reviewers",
            "action_items",
            "can_edit",
        ]
        read_only_fields = fields

    def get_can_edit(self, postmortem) -> bool:
        return pm_selectors.can_edit(user=self.context["request"].user, postmortem=postmortem)


class PostmortemFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200, help_text="Words to look for.")
    team = serializers.SlugField(required=False, max_length=80)
    service = serializers.SlugField(required=False, max_length=80)
    date_from = BoundedDateField(required=False, help_text="The incident started on or after.")
    date_to = BoundedDateField(required=False)
    in_progress = serializers.BooleanField(
        default=False,
        help_text="Instead: unpublished postmortems of your teams and those you review.",
    )


class PostmortemViewSet(ApiViewSet):
    """Postmortems (read): published ones for everyone; drafts and those in review for the
    owning team, the incident's participants and the reviewers."""

    serializer_class = PostmortemSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Postmortem.objects.none()

    @extend_schema(parameters=[PostmortemFilterSerializer])
    def list(self, request):
        filters = self.query(PostmortemFilterSerializer)
        if filters["in_progress"]:
            return self.page_or_list(
                pm_selectors.in_progress_for(user=request.user), PostmortemSerializer
            )
        team, service = _filter_team_and_service(filters)
        postmortems = pm_selectors.published_search(
            q=filters.get("q", ""),
            team=team,
            service=service,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        return self.page_or_list(postmortems, PostmortemSerializer)

    @extend_schema(responses=PostmortemDetailSerializer)
    def retrieve(self, request, pk=None):
        postmortem = pm_selectors.postmortem_for_reader(user=request.user, pk=pk)
        return Response(PostmortemDetailSerializer(postmortem, context={"request": request}).data)


# ---------------------------------------------------------------------------- action items
class ActionItemFilterSerializer(serializers.Serializer):
    team = serializers.SlugField(
        required=False,
        max_length=80,
        help_text="A team's items (of its postmortems and services); default: your own items.",
    )
    include_closed = serializers.BooleanField(default=False)
    overdue = serializers.BooleanField(default=False, help_text="Only open items past due.")


class ActionItemWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner = UsernameField(help_text="Who will do it.")
    due_date = BoundedDateField(
        required=False, allow_null=True, help_text="Empty: the team's default for the severity."
    )
    service = _service_ref(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=ActionItem.Priority.choices, default=2)
    tracker_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="A link to the ticket."
    )


class ActionItemCreateSerializer(ActionItemWriteSerializer):
    postmortem = serializers.IntegerField(min_value=1, max_value=2**53)


class ActionItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for won't do."
    )


class ActionItemViewSet(ApiViewSet):
    """Action items: create them on a postmortem (its editors), change and close them (their
    owner and the postmortem's editors)."""

    serializer_class = ActionItemSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return ActionItem.objects.none()

    def _readable(self, pk) -> ActionItem:
        item = pm_selectors.action_item_detail(pk=pk)
        if item.owner_id != self.request.user.pk and not pm_selectors.can_read(
            user=self.request.user, postmortem=item.postmortem
        ):
            raise PermissionDenied("This action item belongs to an unpublished postmortem.")
        return item

    def _changeable(self, pk) -> ActionItem:
        item = self._readable(pk)
        if not pm_selectors.can_change_item(user=self.request.user, item=item):
            raise PermissionDenied("Only its owner and the postmortem's editors can change it.")
        return item

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        return Response(
            ActionItemSerializer(pm_selectors.action_item_detail(pk=pk)).data, status=code
        )

    @extend_schema(parameters=[ActionItemFilterSerializer])
    def list(self, request):
        filters = self.query(ActionItemFilterSerializer)
        if filters.get("team"):
            team = get_object_or_404(Team, slug=filters["team"])
            items = pm_selectors.team_action_items(
                team=team, include_closed=filters["include_closed"], viewer=request.user
            )
        else:
            items = pm_selectors.action_items_of_owner(
                user=request.user, include_closed=filters["include_closed"]
            )
        if filters["overdue"]:
            items = items.filter(status=ActionItem.Status.OPEN, due_date__lt=timezone.localdate())
        return self.page_or_list(items, ActionItemSerializer)

    def retrieve(self, request, pk=None):
        return Response(ActionItemSerializer(self._readable(pk)).data)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request):
        data = self.body(ActionItemCreateSerializer)
        postmortem = pm_selectors.postmortem_for_editor(
            user=request.user, pk=data.pop("postmortem")
        )
        item = pm_services.action_item_create(postmortem=postmortem, by=request.user, **data)
        return self._out(item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemWriteSerializer, responses=ActionItemSerializer)
    def partial_update(self, request, pk=None):
        item = self._changeable(pk)
        data = self.body(ActionItemWriteSerializer, partial=True)
        current = {
            "title": item.title,
            "owner": item.owner,
            "due_date": item.due_date,
            "service": item.service,
            "priority": item.priority,
            "tracker_url": item.tracker_url,
        }
        pm_services.action_item_update(item=item, by=request.user, **{**current, **data})
        return self._out(pk)

    @extend_schema(request=None, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark it done."""
        item = self._changeable(pk)
        pm_services.action_item_set_status(
            item=item, status=ActionItem.Status.DONE, by=request.user
        )
        return self._out(pk)

    @extend_schema(request=ActionItemStatusSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Close it as done or won't do (with a reason), or reopen it."""
        item = self._changeable(pk)
        data = self.body(ActionItemStatusSerializer)
        pm_services.action_item_set_status(item=item, by=request.user, **data)
        return self._out(pk)


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("integrations", IntegrationViewSet, basename="integration")
    router.register("escalation-policies", PolicyViewSet, basename="policy")
    router.register(r"escalation-policies/(?P<policy_pk>\d+)/steps", StepViewSet, basename="step")
    router.register("postmortems", PostmortemViewSet, basename="postmortem")
    router.register("action-items", ActionItemViewSet, basename="action-item")


urlpatterns = [
    path(
        "services/<slug:slug>/maintenance/", MaintenanceView.as_view(), name="service-maintenance"
    ),
]
