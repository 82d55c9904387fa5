"""What the incidents area's API (and the postmortems API) share: references to integrations,
teams and services in requests and answers, and the team and service filters of its lists."""

from rest_framework import serializers

from incidents.models import Integration
from portal.api.base import RefField
from portal.catalog.models import Service
from portal.people.models import Team


class IntegrationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Integration.Kind.choices, read_only=True)


def service_ref(help_text: str = "A service slug.", **kwargs):
    return RefField(
        slug_field="slug",
        queryset=Service.objects.filter(archived_at__isnull=True),
        help_text=help_text,
        **kwargs,
    )


def team_ref(**kwargs):
    return RefField(
        slug_field="slug", queryset=Team.objects.all(), help_text="A team slug.", **kwargs
    )


def filter_team_and_service(filters: dict) -> tuple[Team | None, Service | None]:
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
