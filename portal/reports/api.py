"""REST API for a team's public holidays (whole local days counted as off-hours in the load
review and the on-call hours export).

Permissions are the holiday page's: the team's members (and staff) read the list; its
managers (and staff) add and remove holidays. Writes go through
:mod:`portal.reports.services`, reads through :mod:`portal.reports.selectors`, access checks
through :mod:`portal.people.access` and :mod:`portal.reports.access`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.api.base import ApiViewSet, BoundedDateField
from portal.people.access import team_for_manager_or_404, team_for_member_or_403
from portal.reports import access, selectors, services
from portal.reports.models import Holiday


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name"]
        read_only_fields = fields


class HolidayCreateSerializer(serializers.Serializer):
    date = BoundedDateField(help_text="The day: the whole local day is off-hours.")
    name = serializers.CharField(max_length=120)


class HolidayViewSet(ApiViewSet):
    """A team's public holidays, earliest first. Members read them; managers add and remove
    them (one per day)."""

    serializer_class = HolidaySerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # for the schema; the actions load through the selectors
        return Holiday.objects.none()

    def list(self, request, team_slug=None):
        team = team_for_member_or_403(user=request.user, slug=team_slug)
        return self.page_or_list(selectors.team_holidays(team=team), HolidaySerializer)

    def retrieve(self, request, team_slug=None, pk=None):
        team = team_for_member_or_403(user=request.user, slug=team_slug)
        holiday = access.holiday_of_team_or_404(team=team, pk=pk)
        return Response(HolidaySerializer(holiday).data)

    @extend_schema(request=HolidayCreateSerializer, responses={201: HolidaySerializer})
    def create(self, request, team_slug=None):
        team = team_for_manager_or_404(user=request.user, slug=team_slug)
        data = self.body(HolidayCreateSerializer)
        holiday = services.holiday_create(team=team, day=data["date"], name=data["name"])
        return Response(HolidaySerializer(holiday).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, team_slug=None, pk=None):
        team = team_for_manager_or_404(user=request.user, slug=team_slug)
        holiday = access.holiday_of_team_or_404(team=team, pk=pk)
        services.holiday_delete(holiday=holiday)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register(r"teams/(?P<team_slug>[-\w]+)/holidays", HolidayViewSet, basename="holiday")


urlpatterns = []
