"""REST API for your notifications: your contact methods (add, edit, remove, send a test),
which kinds of message reach which of them, and your in-app inbox.

Only your own: as on the profile and inbox pages, nobody else's contact methods, preferences
or messages can be read or changed (another person's id answers 404). Writes go through
:mod:`portal.notifications.services`, reads through :mod:`portal.notifications.selectors`.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.urls import path
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.base import ApiView, ApiViewSet
from portal.api.strict import validated
from portal.notifications import access, methods, selectors, services
from portal.notifications.models import Channel, ContactMethod, Kind, Message, Notification


class KindField(serializers.ChoiceField):
    """A kind of message."""

    def __init__(self, **kwargs):
        super().__init__(choices=Kind.choices, **kwargs)


class KindFieldScheme(OpenApiSerializerFieldExtension):
    """``KindField`` as its own enum component. Left to drf-spectacular, it would be named
    after the property ("kind"), which other resources use for other choices."""

    target_class = KindField

    def get_name(self) -> str:
        return "NotificationKindEnum"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        labels = "; ".join(f"`{value}` {label.lower()}" for value, label in Kind.choices)
        return {
            "type": "string",
            "enum": Kind.values,
            "description": f"A kind of message: {labels}.",
        }


# --------------------------------------------------------------------------- contact methods
class ContactMethodSerializer(serializers.ModelSerializer):
    address = serializers.CharField(
        read_only=True, help_text="The email address or webhook URL (a webhook URL is a secret)."
    )
    display_address = serializers.CharField(
        read_only=True, help_text="The address safe to show: a webhook URL is cut to its host."
    )
    is_working = serializers.BooleanField(
        read_only=True, help_text="Enabled, and its latest delivery did not fail for good."
    )
    kinds = serializers.ListField(
        child=KindField(),
        read_only=True,
        help_text="The kinds of message it receives.",
    )
    pending_deliveries = serializers.BooleanField(
        read_only=True, help_text="Messages to it are waiting to be sent (or being sent)."
    )

    class Meta:
        model = ContactMethod
        fields = [
            "id",
            "channel",
            "label",
            "address",
            "display_address",
            "enabled",
            "is_working",
            "broken_at",
            "last_success_at",
            "last_failure_at",
            "last_error",
            "kinds",
            "pending_deliveries",
            "created_at",
        ]
        read_only_fields = fields


class ContactMethodCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    address = serializers.CharField(
        max_length=500, help_text="An email address, or an http(s) chat webhook URL."
    )
    label = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class ContactMethodUpdateSerializer(serializers.Serializer):
    address = serializers.CharField(
        max_length=500, help_text="A new address starts afresh: it has never failed."
    )
    label = serializers.CharField(max_length=80, allow_blank=True)
    enabled = serializers.BooleanField(help_text="A disabled method receives nothing.")


class DeliverySerializer(serializers.ModelSerializer):
    """One delivery of a message to one of your contact methods."""

    class Meta:
        model = Notification
        fields = ["id", "method", "channel", "status", "attempts", "sent_at", "last_error"]
        read_only_fields = fields
        extra_kwargs = {"method": {"help_text": "The contact method (null once removed)."}}


class MessageLinkSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="What the link does, e.g. “Acknowledge or resolve”.")
    url = serializers.CharField(help_text="An absolute URL.")


class MessageSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)
    is_read = serializers.BooleanField(read_only=True)
    links = MessageLinkSerializer(
        many=True,
        read_only=True,
        help_text="Actions Runwell attached to the message (the body is text and may quote "
        "what people wrote: links in it are not Runwell's).",
    )
    deliveries = DeliverySerializer(
        many=True, read_only=True, help_text="Where it was sent; empty: in-app only."
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "url",
            "links",
            "incident_id",
            "created_at",
            "read_at",
            "is_read",
            "deliveries",
        ]
        read_only_fields = fields


class ContactMethodViewSet(ApiViewSet):
    """Your contact methods: where Runwell reaches you. Add one, then send it a test."""

    serializer_class = ContactMethodSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # for the schema; the actions load through the selectors
        return ContactMethod.objects.none()

    def _out(self, pk: int, code=status.HTTP_200_OK) -> Response:
        """The method as the list shows it (with its kinds and pending deliveries)."""
        methods = selectors.contact_methods(user=self.request.user)
        method = next((m for m in methods if m.pk == int(pk)), None)
        if method is None:
            raise Http404("No such contact method.")
        return Response(ContactMethodSerializer(method).data, status=code)

    def _mine(self, pk) -> ContactMethod:
        return access.contact_method_for_owner_or_404(user=self.request.user, pk=pk)

    def list(self, request):
        methods = selectors.contact_methods(user=request.user)
        return self.page_or_list(methods, ContactMethodSerializer)

    def retrieve(self, request, pk=None):
        return self._out(pk)

    @extend_schema(request=ContactMethodCreateSerializer, responses={201: ContactMethodSerializer})
    def create(self, request):
        """Add a contact method (at most 20 by default). A webhook URL must point at a public
        address: loopback, private, link-local and reserved targets are refused."""
        data = self.body(ContactMethodCreateSerializer)
        method = methods.contact_method_create(user=request.user, **data)
        return self._out(method.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ContactMethodUpdateSerializer, responses=ContactMethodSerializer)
    def update(self, request, pk=None, partial=False):
        method = self._mine(pk)
        data = self.body(ContactMethodUpdateSerializer, partial=partial)
        current = {"address": method.address, "label": method.label, "enabled": method.enabled}
        methods.contact_method_update(method=method, **{**current, **data})
        return self._out(method.pk)

    @extend_schema(request=ContactMethodUpdateSerializer, responses=ContactMethodSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Remove it; the delivery log keeps what was sent to it."""
        methods.contact_method_delete(method=self._mine(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: MessageSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message to this method alone, whatever your preferences say. It is
        delivered in the background (its outcome shows on the method and in the message's
        deliveries) and appears in your inbox too. At most a few tests per ten minutes, per
        person and per address (whoever sends them): beyond that, 429 with Retry-After."""
        try:
            message = methods.contact_method_send_test(method=self._mine(pk))
        except methods.TestThrottled as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from exc
        message = (
            selectors.inbox(user=request.user).prefetch_related("deliveries").get(pk=message.pk)
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)


# ------------------------------------------------------------------------------ preferences
def _kind_field(label: str, *, required: bool = True):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**53),
        max_length=200,
        required=required,
        help_text=f"{label}: the ids of your contact methods that receive it.",
    )


class PreferencesSerializer(serializers.Serializer):
    """For each kind of message, which of your contact methods receive it (by id)."""

    page = _kind_field(Kind.PAGE.label)
    shift_reminder = _kind_field(Kind.SHIFT_REMINDER.label)
    swap = _kind_field(Kind.SWAP.label)
    nag = _kind_field(Kind.NAG.label)
    report = _kind_field(Kind.REPORT.label)

    def validate(self, data):
        mine = {m.pk for m in self.context["methods"]}
        errors = {}
        for kind, ids in data.items():
            unknown = sorted(set(ids) - mine)
            if unknown:
                listed = ", ".join(str(pk) for pk in unknown)
                errors[kind] = [f"You have no contact method with id {listed}."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class PreferencesView(ApiView):
    """Which kinds of message reach which of your contact methods. By default every kind
    reaches every method; a method left out of a kind's list no longer receives that kind."""

    serializer_class = PreferencesSerializer

    def _out(self, methods) -> Response:
        data = {kind: [m.pk for m in methods if kind in m.kinds] for kind in Kind.values}
        return Response(PreferencesSerializer(data).data)

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return self._out(selectors.contact_methods(user=request.user))

    def _set(self, request, *, partial: bool) -> Response:
        methods = selectors.contact_methods(user=request.user)
        serializer = PreferencesSerializer(
            data=request.data, partial=partial, context={"methods": methods}
        )
        choices = {kind: set(ids) for kind, ids in validated(serializer).items()}
        services.preferences_set(user=request.user, choices=choices)
        return self._out(selectors.contact_methods(user=request.user))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        """Set every kind."""
        return self._set(request, partial=False)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        """Set the kinds given; the others stay as they are."""
        return self._set(request, partial=True)


# ------------------------------------------------------------------------------------ inbox
class InboxFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only messages you have not read."
    )


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many messages you have not read.")


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many messages were marked read.")


class InboxViewSet(ApiViewSet):
    """Your in-app inbox, newest first: every page, reminder and report sent to you, with
    where each was delivered."""

    serializer_class = MessageSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        deliveries = Notification.objects.order_by("created_at", "pk")
        return selectors.inbox(user=self.request.user).prefetch_related(
            Prefetch("deliveries", queryset=deliveries)
        )

    @extend_schema(parameters=[InboxFilterSerializer])
    def list(self, request):
        rows = self.get_queryset()
        if self.query(InboxFilterSerializer)["unread"]:
            rows = rows.filter(read_at__isnull=True)
        return self.page_or_list(rows, MessageSerializer)

    def retrieve(self, request, pk=None):
        return Response(MessageSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the message read (again: no change)."""
        try:
            services.message_mark_read(user=request.user, message_id=pk)
        except Message.DoesNotExist as exc:
            raise Http404("No such message.") from exc
        return Response(MessageSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every message read."""
        marked = services.messages_mark_all_read(user=request.user)
        return Response(MarkedSerializer({"marked": marked}).data)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request):
        """The number on the inbox badge."""
        count = selectors.unread_count(user=request.user)
        return Response(UnreadCountSerializer({"unread": count}).data)


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("contact-methods", ContactMethodViewSet, basename="contact-method")
    router.register("inbox", InboxViewSet, basename="inbox")


urlpatterns = [
    path(
        "notification-preferences/",
        PreferencesView.as_view(),
        name="notification-preferences",
    ),
]
