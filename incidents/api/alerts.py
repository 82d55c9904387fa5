"""The alerts API: alerts as received from integrations (read)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from incidents import selectors
from incidents.api.refs import IntegrationRefSerializer
from incidents.models import Alert
from portal.api.base import ApiViewSet
from portal.api.pagination import CursorPagination


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
