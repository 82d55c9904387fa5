import pytest
from django.utils import timezone

from portal.notifications import methods, selectors, services
from portal.notifications.models import Kind, Message, Notification
from tests import factories

pytestmark = pytest.mark.django_db


def _page(user, key="page:1:0:0", **kw):
    return services.notify(
        user=user,
        kind=Kind.PAGE,
        dedup_key=f"{key}:{user.pk}",
        subject="[SEV2] Checkout errors",
        body="Error rate above 5%.",
        url="/incidents/1/",
        incident_id=1,
        **kw,
    )


def test_notify_creates_message_and_one_delivery_per_method(
    user, django_capture_on_commit_callbacks
):
    email = factories.ContactMethodFactory(user=user)
    hook = factories.ContactMethodFactory(user=user, webhook=True)
    with django_capture_on_commit_callbacks() as callbacks:
        message = _page(user)
    assert message.url == "http://runwell.test/incidents/1/"
    assert message.incident_id == 1 and message.read_at is None
    rows = Notification.objects.filter(message=message).order_by("pk")
    assert [(n.method_id, n.channel, n.status) for n in rows] == [
        (email.pk, "email", "pending"),
        (hook.pk, "chat_webhook", "pending"),
    ]
    assert {n.dedup_key for n in rows} == {
        f"{message.dedup_key}:{email.pk}",
        f"{message.dedup_key}:{hook.pk}",
    }
    assert all(n.user_id == user.pk and n.kind == Kind.PAGE for n in rows)
    assert len(callbacks) == 2  # one delivery task per row, enqueued on commit


def test_notify_same_key_is_a_noop(user, django_capture_on_commit_callbacks):
    factories.ContactMethodFactory(user=user)
    first = _page(user)
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.notify(
            user=user,
            kind=Kind.PAGE,
            dedup_key=first.dedup_key,
            subject="changed",
            body="changed",
        )
    assert again.pk == first.pk and again.subject == first.subject
    assert Message.objects.count() == 1 and Notification.objects.count() == 1
    assert callbacks == []


def test_notify_without_methods_still_fills_the_inbox(user):
    message = _page(user)
    assert Message.objects.filter(pk=message.pk).exists()
    assert not Notification.objects.exists()


def test_preferences_choose_methods_per_kind(user):
    email = factories.ContactMethodFactory(user=user)
    hook = factories.ContactMethodFactory(user=user, webhook=True)
    factories.ContactMethodFactory(user=user, enabled=False)
    services.preferences_set(user=user, choices={Kind.PAGE: {hook.pk}, Kind.NAG: {email.pk}})
    assert list(selectors.methods_for(user=user, kind=Kind.PAGE)) == [hook]
    assert list(selectors.methods_for(user=user, kind=Kind.NAG)) == [email]
    # Kinds never set default to every enabled method.
    assert list(selectors.methods_for(user=user, kind=Kind.SWAP)) == [email, hook]
    message = _page(user)
    assert [n.method_id for n in message.deliveries.all()] == [hook.pk]


def test_long_subject_is_cut_to_one_line(user):
    message = services.notify(
        user=user, kind=Kind.REPORT, dedup_key="r:1", subject="a\nb " + "x" * 400, body=""
    )
    assert message.subject.startswith("a b ") and len(message.subject) == 200
    assert message.subject.endswith("…")


def test_unknown_kind_is_refused(user):
    with pytest.raises(ValueError):
        services.notify(user=user, kind="sms", dedup_key="x", subject="s", body="b")


def test_notify_rolled_back_with_the_callers_transaction(user):
    from django.db import transaction

    factories.ContactMethodFactory(user=user)
    with pytest.raises(RuntimeError), transaction.atomic():
        _page(user)
        raise RuntimeError
    assert not Message.objects.exists() and not Notification.objects.exists()


def test_unreachable_user_ids_in_one_query(django_assert_num_queries):
    nobody = factories.UserFactory()
    working = factories.ContactMethodFactory().user
    disabled = factories.ContactMethodFactory(enabled=False).user
    broken = factories.ContactMethodFactory(broken_at=timezone.now()).user
    mixed = factories.ContactMethodFactory(broken_at=timezone.now()).user
    factories.ContactMethodFactory(user=mixed, webhook=True)
    never_tried = factories.ContactMethodFactory(webhook=True).user
    ids = [u.pk for u in (nobody, working, disabled, broken, mixed, never_tried)]
    with django_assert_num_queries(1):
        result = selectors.unreachable_user_ids(user_ids=ids)
    assert result == {nobody.pk, disabled.pk, broken.pk}
    assert selectors.unreachable_user_ids(user_ids=[]) == set()


def test_unread_count(user):
    factories.MessageFactory(user=user)
    factories.MessageFactory(user=user, read_at=timezone.now())
    factories.MessageFactory()
    assert selectors.unread_count(user=user) == 1
    assert services.messages_mark_all_read(user=user) == 1
    assert selectors.unread_count(user=user) == 0


def test_changing_an_address_clears_its_failure(user):
    method = factories.ContactMethodFactory(
        user=user, broken_at=timezone.now(), last_error="550", last_failure_at=timezone.now()
    )
    methods.contact_method_update(method=method, address=method.address, label="x", enabled=True)
    method.refresh_from_db()
    assert method.broken_at is not None  # same address: still failing
    methods.contact_method_update(method=method, address="new@example.com", label="", enabled=True)
    method.refresh_from_db()
    assert method.broken_at is None and method.last_error == ""


def test_contact_method_validation(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        methods.contact_method_create(user=user, channel="email", address="not-an-email")
    assert "address" in exc.value.error_dict
    with pytest.raises(ValidationError):
        methods.contact_method_create(user=user, channel="chat_webhook", address="ftp://x/y")
    methods.contact_method_create(user=user, channel="email", address="me@example.com")
    with pytest.raises(ValidationError):
        methods.contact_method_create(user=user, channel="email", address="me@example.com")
