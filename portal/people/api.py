"""REST API for people and teams: teams, their members and roles, and your own profile.

Permissions are the pages': every signed-in person may read teams and members; only staff
create teams; a team's managers (and staff) edit it and manage its members. Writes go
through :mod:`portal.people.services`, access checks through :mod:`portal.people.selectors`.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from portal.api.base import (
    ApiView,
    ApiViewSet,
    TimeZoneField,
    UsernameField,
    UserRefSerializer,
)
from portal.api.strict import validated
from portal.people import access, selectors, services
from portal.people.models import WEEKDAYS, Membership, Profile, Team

SLUG = r"[-\w]+"
USERNAME = r"[\w.@+-]+"


# ---------------------------------------------------------------------------------- teams
class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    service_count = serializers.IntegerField(read_only=True)
    your_role = serializers.SerializerMethodField(
        help_text="Your role in the team: member, manager, or null."
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "swap_approval_required",
            "max_consecutive_days",
            "member_count",
            "service_count",
            "your_role",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_your_role(self, team) -> str | None:
        return access.role_in_team(user=self.context["request"].user, team=team)


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    first_manager = UsernameField(help_text="The username of the team's first manager.")


class TeamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=80)
    description = serializers.CharField(allow_blank=True)
    swap_approval_required = serializers.BooleanField()
    max_consecutive_days = serializers.IntegerField(min_value=1, max_value=60)


def _team_out(request, slug: str) -> dict:
    team = selectors.team_list().get(slug=slug)
    return TeamSerializer(team, context={"request": request}).data


class TeamViewSet(mixins.ListModelMixin, ApiViewSet):
    """Teams. Anyone signed in reads them; staff create them; managers edit them."""

    serializer_class = TeamSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG

    def get_queryset(self):
        return selectors.team_list()

    def retrieve(self, request, slug=None):
        team = self.get_object()
        return Response(TeamSerializer(team, context={"request": request}).data)

    @extend_schema(request=TeamCreateSerializer, responses={201: TeamSerializer})
    def create(self, request):
        access.staff_or_403(request.user, "Only staff can create teams.")
        data = self.body(TeamCreateSerializer)
        team = services.team_create(
            name=data["name"],
            slug=data["slug"],
            description=data["description"],
            managers=[data["first_manager"]],
        )
        return Response(_team_out(request, team.slug), status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamUpdateSerializer, responses=TeamSerializer)
    def update(self, request, slug=None, partial=False):
        team = access.team_for_manager_or_404(user=request.user, slug=slug)
        data = self.body(TeamUpdateSerializer, partial=partial)
        if data:
            team = services.team_update(team=team, **data)
        return Response(_team_out(request, team.slug))

    @extend_schema(request=TeamUpdateSerializer, responses=TeamSerializer)
    def partial_update(self, request, slug=None):
        return self.update(request, slug=slug, partial=True)


# -------------------------------------------------------------------------------- members
class MemberSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "joined_at"]
        read_only_fields = fields


class MemberAddSerializer(serializers.Serializer):
    username = UsernameField()
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MemberViewSet(ApiViewSet):
    """A team's members, named by username. Anyone signed in reads them; the team's managers
    add people, change roles and remove people (a team always keeps one manager)."""

    serializer_class = MemberSerializer
    lookup_field = "username"
    lookup_value_regex = USERNAME
    pagination_class = None

    def _team(self) -> Team:
        return selectors.team_detail(slug=self.kwargs["team_slug"])

    def _membership(self, team: Team, username: str) -> Membership:
        for membership in team.memberships.all():
            if membership.user.get_username() == username:
                return membership
        raise Http404("No such member of this team.")

    def get_queryset(self):  # for the schema; the actions load through the selectors
        return Membership.objects.none()

    def list(self, request, team_slug=None):
        team = self._team()
        return Response(MemberSerializer(team.memberships.all(), many=True).data)

    def retrieve(self, request, team_slug=None, username=None):
        membership = self._membership(self._team(), username)
        return Response(MemberSerializer(membership).data)

    @extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer})
    def create(self, request, team_slug=None):
        team = access.team_for_manager_or_404(user=request.user, slug=team_slug)
        data = self.body(MemberAddSerializer)
        services.membership_add(team=team, user=data["username"], role=data["role"])
        membership = self._membership(self._team(), data["username"].get_username())
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberRoleSerializer, responses=MemberSerializer)
    def partial_update(self, request, team_slug=None, username=None):
        access.team_for_manager_or_404(user=request.user, slug=team_slug)
        membership = self._membership(self._team(), username)
        data = self.body(MemberRoleSerializer)
        services.membership_set_role(membership=membership, role=data["role"])
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, team_slug=None, username=None):
        access.team_for_manager_or_404(user=request.user, slug=team_slug)
        membership = self._membership(self._team(), username)
        services.membership_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -------------------------------------------------------------------------------- profile
class ProfileSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(read_only=True)
    time_zone = TimeZoneField()
    work_days = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAYS),
        min_length=1,
        max_length=7,
        help_text="Working weekdays, 0 (Mon) to 6 (Sun).",
    )

    class Meta:
        model = Profile
        fields = [
            "username",
            "email",
            "name",
            "display_name",
            "time_zone",
            "work_days",
            "work_start",
            "work_end",
            "sleep_start",
            "sleep_end",
        ]


class ProfileView(ApiView):
    """Your own profile: display name, time zone, working and sleep hours."""

    serializer_class = ProfileSerializer

    def _profile(self) -> Profile:
        return Profile.objects.select_related("user").get(user=self.request.user)

    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        return Response(ProfileSerializer(self._profile()).data)

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer)
    def patch(self, request):
        profile = self._profile()
        serializer = ProfileSerializer(profile, data=request.data, partial=True)
        fields = dict(validated(serializer))
        if "work_days" in fields:
            fields["work_days"] = sorted(set(fields["work_days"]))
        profile = services.profile_update(profile=profile, **fields)
        return Response(ProfileSerializer(profile).data)


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("teams", TeamViewSet, basename="team")
    router.register(r"teams/(?P<team_slug>[-\w]+)/members", MemberViewSet, basename="member")


urlpatterns = [path("profile/", ProfileView.as_view(), name="profile")]
