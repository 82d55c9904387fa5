"""The maintenance API: a service's maintenance window; the owning team's managers only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from incidents import access, selectors, services
from incidents.models import MaintenanceWindow
from portal.api.base import ApiView, BoundedDateTimeField, UserRefSerializer
from portal.api.strict import validated


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

    @extend_schema(responses=MaintenanceStateSerializer)
    def get(self, request, slug):
        service = access.service_for_maintenance_or_403(user=request.user, slug=slug)
        window = selectors.active_maintenance(service=service)
        return Response(MaintenanceStateSerializer({"window": window}).data)

    @extend_schema(request=MaintenanceStartSerializer, responses={201: MaintenanceSerializer})
    def post(self, request, slug):
        service = access.service_for_maintenance_or_403(user=request.user, slug=slug)
        data = validated(MaintenanceStartSerializer(data=request.data))
        window = services.maintenance_start(service=service, by=request.user, **data)
        return Response(MaintenanceSerializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request, slug):
        services.maintenance_end(
            service=access.service_for_maintenance_or_403(user=request.user, slug=slug)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
