"""The postmortems API: postmortems (read; published ones for everyone, drafts for their
editors and reviewers) and action items (created by a postmortem's editors, changed by them or
the item's owner). Writes go through :mod:`incidents.postmortems.services`, who may do what
through :mod:`incidents.postmortems.access`."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.api.refs import filter_team_and_service, service_ref
from incidents.postmortems import access, action_items, selectors
from incidents.postmortems.models import ActionItem, Postmortem
from portal.api.base import (
    ApiViewSet,
    BoundedDateField,
    TeamRefSerializer,
    UsernameField,
    UserRefSerializer,
)
from portal.catalog.api import ServiceRefSerializer
from portal.people.models import Team


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
        return access.can_edit(user=self.context["request"].user, postmortem=postmortem)


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
                access.in_progress_for(user=request.user), PostmortemSerializer
            )
        team, service = filter_team_and_service(filters)
        postmortems = selectors.published_search(
            q=filters.get("q", ""),
            team=team,
            service=service,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        return self.page_or_list(postmortems, PostmortemSerializer)

    @extend_schema(responses=PostmortemDetailSerializer)
    def retrieve(self, request, pk=None):
        postmortem = access.postmortem_for_reader_or_403(user=request.user, pk=pk)
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
    service = service_ref(required=False, allow_null=True)
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

    def _out(self, pk, code=status.HTTP_200_OK) -> Response:
        return Response(ActionItemSerializer(selectors.action_item_detail(pk=pk)).data, status=code)

    @extend_schema(parameters=[ActionItemFilterSerializer])
    def list(self, request):
        filters = self.query(ActionItemFilterSerializer)
        if filters.get("team"):
            team = get_object_or_404(Team, slug=filters["team"])
            items = access.items_visible_to(
                selectors.team_action_items(team=team, include_closed=filters["include_closed"]),
                user=request.user,
            )
        else:
            items = selectors.action_items_of_owner(
                user=request.user, include_closed=filters["include_closed"]
            )
        if filters["overdue"]:
            items = items.filter(status=ActionItem.Status.OPEN, due_date__lt=timezone.localdate())
        return self.page_or_list(items, ActionItemSerializer)

    def retrieve(self, request, pk=None):
        return Response(
            ActionItemSerializer(
                access.action_item_for_reader_or_403(user=request.user, pk=pk)
            ).data
        )

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request):
        data = self.body(ActionItemCreateSerializer)
        postmortem = access.postmortem_for_editor_or_403(
            user=request.user, pk=data.pop("postmortem")
        )
        item = action_items.action_item_create(postmortem=postmortem, by=request.user, **data)
        return self._out(item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemWriteSerializer, responses=ActionItemSerializer)
    def partial_update(self, request, pk=None):
        item = access.action_item_for_changer_or_403(user=request.user, pk=pk)
        data = self.body(ActionItemWriteSerializer, partial=True)
        current = {
            "title": item.title,
            "owner": item.owner,
            "due_date": item.due_date,
            "service": item.service,
            "priority": item.priority,
            "tracker_url": item.tracker_url,
        }
        action_items.action_item_update(item=item, by=request.user, **{**current, **data})
        return self._out(pk)

    @extend_schema(request=None, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark it done."""
        item = access.action_item_for_changer_or_403(user=request.user, pk=pk)
        action_items.action_item_set_status(
            item=item, status=ActionItem.Status.DONE, by=request.user
        )
        return self._out(pk)

    @extend_schema(request=ActionItemStatusSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Close it as done or won't do (with a reason), or reopen it."""
        item = access.action_item_for_changer_or_403(user=request.user, pk=pk)
        data = self.body(ActionItemStatusSerializer)
        action_items.action_item_set_status(item=item, by=request.user, **data)
        return self._out(pk)


def register(router) -> None:
    """This sub-app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("postmortems", PostmortemViewSet, basename="postmortem")
    router.register("action-items", ActionItemViewSet, basename="action-item")


urlpatterns = []
