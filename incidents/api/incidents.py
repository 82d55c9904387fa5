"""The incidents API: incidents (list, declare, read) and the actions on them (acknowledge,
resolve, escalate, severity, roles, reassign), and their timeline."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from incidents import access, selectors, services
from incidents.api.refs import (
    IntegrationRefSerializer,
    filter_team_and_service,
    service_ref,
    team_ref,
)
from incidents.models import Incident, IncidentEvent, Severity
from portal.api.base import ApiViewSet, TeamRefSerializer, UsernameField, UserRefSerializer
from portal.api.pagination import CursorPagination
from portal.catalog.api import ServiceRefSerializer

NOTE_MAX = services.NOTE_MAX


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
        return access.can_act(user=self.context["request"].user, incident=incident)


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
        child=service_ref(),
        required=False,
        default=list,
        max_length=100,
        help_text="Affected services: the incident goes to the owner of the first one.",
    )
    team = team_ref(required=False, allow_null=True, default=None)
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
    team = team_ref()


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
        return access.incident_for_actor_or_403(user=self.request.user, pk=pk)

    @extend_schema(parameters=[IncidentFilterSerializer])
    def list(self, request):
        filters = self.query(IncidentFilterSerializer)
        team, service = filter_team_and_service(filters)
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
