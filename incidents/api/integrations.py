"""The integrations API: a team's integrations and their tokens; its managers only."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents import access, selectors, services
from incidents.api.refs import ManagedTeamFilterSerializer, service_ref, team_ref
from incidents.models import Integration, Severity
from portal.api.base import ApiViewSet
from portal.people.access import team_for_manager_or_404
from portal.wording import possessive


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
    team = team_ref()
    kind = serializers.ChoiceField(choices=Integration.Kind.choices)
    service = service_ref(
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

    @extend_schema(parameters=[ManagedTeamFilterSerializer])
    def list(self, request):
        team = team_for_manager_or_404(
            user=request.user, slug=self.query(ManagedTeamFilterSerializer)["team"]
        )
        return self.page_or_list(selectors.team_integrations(team=team), IntegrationSerializer)

    def retrieve(self, request, pk=None):
        return Response(
            IntegrationSerializer(
                access.integration_for_manager_or_404(user=request.user, pk=pk)
            ).data
        )

    @extend_schema(request=IntegrationCreateSerializer, responses={201: IntegrationTokenSerializer})
    def create(self, request):
        """Create an integration. The answer carries its token, shown this once only."""
        data = self.body(IntegrationCreateSerializer)
        team = team_for_manager_or_404(user=request.user, slug=data.pop("team").slug)
        service = data.pop("service")
        if service is not None and service.team_id != team.pk:
            raise serializers.ValidationError(
                {"service": f"Choose one of {possessive(team.name)} services."}
            )
        integration, token = services.integration_create(
            by=request.user, team=None if service else team, service=service, **data
        )
        return _token_out(request, integration, token, status.HTTP_201_CREATED)

    @extend_schema(request=IntegrationSettingsSerializer, responses=IntegrationSerializer)
    def partial_update(self, request, pk=None):
        integration = access.integration_for_manager_or_404(user=request.user, pk=pk)
        data = self.body(IntegrationSettingsSerializer, partial=True)
        if data:
            integration = services.integration_update(integration=integration, **data)
        return Response(IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses=IntegrationTokenSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """A new token; the old one stops working at once."""
        integration, token = services.integration_rotate_token(
            integration=access.integration_for_manager_or_404(user=request.user, pk=pk)
        )
        return _token_out(request, integration, token)
