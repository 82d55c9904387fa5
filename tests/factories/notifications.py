"""Factories for the notifications layer."""

import factory
from django.utils import timezone

from portal.notifications.models import (
    Channel,
    ContactMethod,
    Kind,
    Message,
    Notification,
    NotificationPreference,
)
from tests.factories.people import UserFactory

__all__ = [
    "ContactMethodFactory",
    "NotificationPreferenceFactory",
    "MessageFactory",
    "NotificationFactory",
]


class ContactMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactMethod

    user = factory.SubFactory(UserFactory)
    channel = Channel.EMAIL
    address = factory.Sequence(lambda n: f"person{n}@example.com")

    class Params:
        webhook = factory.Trait(
            channel=Channel.CHAT_WEBHOOK,
            address=factory.Sequence(lambda n: f"https://chat.example.com/hooks/{n}"),
        )


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    method = factory.SubFactory(ContactMethodFactory)
    kind = Kind.PAGE
    enabled = False


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    user = factory.SubFactory(UserFactory)
    kind = Kind.REPORT
    dedup_key = factory.Sequence(lambda n: f"test-message:{n}")
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Something happened."


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    method = factory.SubFactory(ContactMethodFactory)
    message = factory.SubFactory(MessageFactory, user=factory.SelfAttribute("..method.user"))
    user = factory.SelfAttribute("message.user")
    kind = factory.SelfAttribute("message.kind")
    channel = factory.SelfAttribute("method.channel")
    dedup_key = factory.LazyAttribute(lambda n: f"{n.message.dedup_key}:{n.method.pk}")
    next_attempt_at = factory.LazyFunction(timezone.now)
