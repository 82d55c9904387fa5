"""Read queries of the notifications layer: inbox, badge, contact methods, who is reachable."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from portal.notifications.models import (
    ContactMethod,
    Kind,
    Message,
    Notification,
    NotificationPreference,
)

User = get_user_model()

INBOX_PAGE_SIZE = 50


def _working_methods() -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(enabled=True, broken_at__isnull=True)


def unreachable_user_ids(*, user_ids) -> set[int]:
    """Those of ``user_ids`` with no working contact method (enabled, and its latest attempt
    did not fail permanently; a never-tried method counts as working). One query."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    has_working = Exists(_working_methods().filter(user_id=OuterRef("pk")))
    return set(
        User.objects.filter(pk__in=user_ids).exclude(has_working).values_list("pk", flat=True)
    )


def is_unreachable(*, user) -> bool:
    return not _working_methods().filter(user=user).exists()


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Message.objects.filter(user=user, read_at__isnull=True).count()


def methods_for(*, user, kind: str) -> QuerySet[ContactMethod]:
    """The user's enabled methods that should receive messages of ``kind`` (no opt-out row)."""
    opted_out = NotificationPreference.objects.filter(
        method_id=OuterRef("pk"), kind=kind, enabled=False
    )
    return ContactMethod.objects.filter(user=user, enabled=True).exclude(Exists(opted_out))


def contact_methods(*, user) -> list[ContactMethod]:
    """The user's methods with their preferences prefetched and ``kinds`` set: the kinds each
    one receives."""
    methods = list(
        ContactMethod.objects.filter(user=user).prefetch_related(
            Prefetch("preferences", queryset=NotificationPreference.objects.all())
        )
    )
    for method in methods:
        off = {p.kind for p in method.preferences.all() if not p.enabled}
        method.kinds = [k for k in Kind.values if k not in off]
        method.pending_deliveries = False
    pending = set(
        Notification.objects.filter(
            method__user=user,
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
        ).values_list("method_id", flat=True)
    )
    for method in methods:
        method.pending_deliveries = method.pk in pending
    return methods


def inbox(*, user, unread_only: bool = False) -> QuerySet[Message]:
    qs = Message.objects.filter(user=user).order_by("-created_at", "-pk")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def page_notifications(*, start, end, user_ids=None, incident_ids=None) -> QuerySet[Notification]:
    """Pages delivered in [start, end) to these people and about these incidents (ids or a
    subquery; None: anyone, any incident): the raw material of interruption counts (pages
    within 60 s of each other count once; bundled rows share a send)."""
    qs = Notification.objects.filter(
        kind=Kind.PAGE,
        status=Notification.Status.SENT,
        sent_at__gte=start,
        sent_at__lt=end,
    )
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    if incident_ids is not None:
        qs = qs.filter(message__incident_id__in=incident_ids)
    return qs.order_by("user_id", "sent_at")


def sent_dedup_keys(*, keys) -> set[str]:
    """Which of these message dedup keys were already sent: one query."""
    return set(Message.objects.filter(dedup_key__in=list(keys)).values_list("dedup_key", flat=True))
