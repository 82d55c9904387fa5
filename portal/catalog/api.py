"""REST API for the service catalog: list and filter, create, edit, transfer, archive.

Permissions are the pages': everyone signed in reads the catalog; managers of a team add
services to it; the owning team's managers (and staff) edit, transfer and archive. Writes go
through :mod:`portal.catalog.services`, reads through :mod:`portal.catalog.selectors`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.base import ApiViewSet, RefField, TeamRefSerializer
from portal.catalog import access, selectors, services
from portal.catalog.models import Service, ServiceTransfer
from portal.people.access import can_manage_team, managed_teams
from portal.people.models import Team


def _tag():
    return serializers.SlugField(max_length=50)


class ServiceSerializer(serializers.ModelSerializer):
    team = TeamRefSerializer(read_only=True)
    runbook_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    repository_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Service
        fields = [
            "id",
            "slug",
            "name",
            "team",
            "tier",
            "description",
            "runbook_url",
            "repository_url",
            "tags",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    from_team = TeamRefSerializer(read_only=True)
    to_team = TeamRefSerializer(read_only=True)
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = ServiceTransfer
        fields = ["id", "from_team", "to_team", "by", "at", "note"]
        read_only_fields = fields


class ServiceDetailSerializer(ServiceSerializer):
    dependencies = ServiceRefSerializer(many=True, read_only=True)
    dependents = ServiceRefSerializer(many=True, read_only=True)
    transfers = TransferSerializer(many=True, read_only=True)
    can_manage = serializers.SerializerMethodField()

    class Meta(ServiceSerializer.Meta):
        fields = ServiceSerializer.Meta.fields + [
            "dependencies",
            "dependents",
            "transfers",
            "can_manage",
        ]
        read_only_fields = fields

    def get_can_manage(self, service) -> bool:
        return can_manage_team(user=self.context["request"].user, team=service.team)


class ServiceFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Search text.")
    team = serializers.SlugField(required=False, max_length=80, help_text="Owning team's slug.")
    tier = serializers.ChoiceField(choices=Service.Tier.choices, required=False)
    tag = serializers.SlugField(required=False, max_length=50)
    include_archived = serializers.BooleanField(required=False, default=False)


def _dependencies():
    return RefField(
        many=True,
        required=False,
        slug_field="slug",
        queryset=Service.objects.filter(archived_at__isnull=True),
        help_text="Slugs of the services this one needs in order to work.",
    )


class ServiceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=80)
    tier = serializers.ChoiceField(choices=Service.Tier.choices, default=Service.Tier.TIER_2)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    runbook_url = serializers.URLField(required=False, allow_blank=True, default="")
    repository_url = serializers.URLField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=_tag(), required=False, default=list, max_length=50)
    dependencies = _dependencies()


class ServiceCreateSerializer(ServiceWriteSerializer):
    team = RefField(
        slug_field="slug", queryset=Team.objects.all(), help_text="The owning team's slug."
    )

    def validate_team(self, team):
        if not managed_teams(user=self.context["request"].user).filter(pk=team.pk).exists():
            raise serializers.ValidationError("You can add services only to teams you manage.")
        return team


class ServiceUpdateSerializer(ServiceWriteSerializer):
    tier = serializers.ChoiceField(choices=Service.Tier.choices)
    description = serializers.CharField(allow_blank=True)
    runbook_url = serializers.URLField(allow_blank=True)
    repository_url = serializers.URLField(allow_blank=True)
    tags = serializers.ListField(child=_tag(), max_length=50)
    dependencies = _dependencies()


class ServiceTransferSerializer(serializers.Serializer):
    to_team = RefField(slug_field="slug", queryset=Team.objects.all(), help_text="A team slug.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


def _detail(request, slug: str) -> dict:
    service = selectors.service_detail(slug=slug)
    return ServiceDetailSerializer(service, context={"request": request}).data


class ServiceViewSet(ApiViewSet):
    """The service catalog, by slug."""

    serializer_class = ServiceSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"

    def get_queryset(self):  # for the schema; the actions load through the selectors
        return Service.objects.none()

    @extend_schema(parameters=[ServiceFilterSerializer])
    def list(self, request):
        filters = self.query(ServiceFilterSerializer)
        services_qs = selectors.service_search(
            q=filters.get("q", ""),
            team=filters.get("team", ""),
            tier=filters.get("tier"),
            tag=filters.get("tag", ""),
            include_archived=filters["include_archived"],
        )
        return self.page_or_list(services_qs, ServiceSerializer)

    @extend_schema(responses=ServiceDetailSerializer)
    def retrieve(self, request, slug=None):
        return Response(_detail(request, slug))

    @extend_schema(request=ServiceCreateSerializer, responses={201: ServiceDetailSerializer})
    def create(self, request):
        access.adding_service_or_403(user=request.user)
        data = self.body(ServiceCreateSerializer)
        service = services.service_create(**data)
        return Response(_detail(request, service.slug), status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateSerializer, responses=ServiceDetailSerializer)
    def update(self, request, slug=None, partial=False):
        service = access.service_for_manager_or_404(user=request.user, slug=slug)
        data = self.body(ServiceUpdateSerializer, partial=partial)
        if data:
            service = services.service_update(service=service, **data)
        return Response(_detail(request, service.slug))

    @extend_schema(request=ServiceUpdateSerializer, responses=ServiceDetailSerializer)
    def partial_update(self, request, slug=None):
        return self.update(request, slug=slug, partial=True)

    @extend_schema(request=ServiceTransferSerializer, responses=ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, slug=None):
        service = access.service_for_manager_or_404(user=request.user, slug=slug)
        data = self.body(ServiceTransferSerializer)
        services.service_transfer(
            service=service, to_team=data["to_team"], by=request.user, note=data["note"]
        )
        return Response(_detail(request, slug))

    @extend_schema(request=None, responses=ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, slug=None):
        service = access.service_for_manager_or_404(user=request.user, slug=slug)
        services.service_archive(service=service)
        return Response(_detail(request, slug))

    @extend_schema(request=None, responses=ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, slug=None):
        service = access.service_for_manager_or_404(user=request.user, slug=slug)
        services.service_unarchive(service=service)
        return Response(_detail(request, slug))


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("services", ServiceViewSet, basename="service")


urlpatterns = []
