"""Factories for postmortems and action items. ``PostmortemFactory`` builds a bare row; tests
of the pre-fill use ``services.postmortem_start`` instead."""

from datetime import timedelta

import factory
from django.utils import timezone

from incidents.postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemComment,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    TimelineEntry,
)
from tests.factories.incidents import IncidentFactory
from tests.factories.people import UserFactory

__all__ = [
    "PostmortemSettingsFactory",
    "PostmortemFactory",
    "PostmortemSectionFactory",
    "TimelineEntryFactory",
    "PostmortemReviewerFactory",
    "PostmortemCommentFactory",
    "ActionItemFactory",
]


class PostmortemSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostmortemSettings
        django_get_or_create = ["team"]

    team = factory.SubFactory("tests.factories.people.TeamFactory")


class PostmortemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Postmortem

    incident = factory.SubFactory(
        IncidentFactory,
        status="resolved",
        resolved_at=factory.LazyFunction(timezone.now),
    )
    team = factory.SelfAttribute("incident.team")
    title = factory.SelfAttribute("incident.title")
    severity = factory.SelfAttribute("incident.severity")
    started_at = factory.SelfAttribute("incident.triggered_at")
    resolved_at = factory.SelfAttribute("incident.resolved_at")

    class Params:
        published = factory.Trait(
            status=Postmortem.Status.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )


class PostmortemSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostmortemSection

    postmortem = factory.SubFactory(PostmortemFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Section {n}")
    body = ""


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    postmortem = factory.SubFactory(PostmortemFactory)
    position = factory.Sequence(lambda n: n)
    at = factory.LazyFunction(timezone.now)
    text = factory.Sequence(lambda n: f"Entry {n}")


class PostmortemReviewerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostmortemReviewer

    postmortem = factory.SubFactory(PostmortemFactory)
    user = factory.SubFactory(UserFactory)


class PostmortemCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostmortemComment

    postmortem = factory.SubFactory(PostmortemFactory)
    author = factory.SubFactory(UserFactory)
    body = "Looks good."


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    postmortem = factory.SubFactory(PostmortemFactory)
    title = factory.Sequence(lambda n: f"Action item {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
