"""Factories for the incidents area."""

from datetime import timedelta

import factory
from django.utils import timezone

from incidents.models import (
    Alert,
    EscalationPolicy,
    EscalationStep,
    InboxPayload,
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
)
from incidents.payloads import IncomingAlert
from tests.factories.people import ServiceFactory, TeamFactory

__all__ = [
    "IntegrationFactory",
    "IncidentFactory",
    "AlertFactory",
    "IncidentEventFactory",
    "InboxPayloadFactory",
    "EscalationPolicyFactory",
    "EscalationStepFactory",
    "MaintenanceWindowFactory",
]


class IntegrationFactory(factory.django.DjangoModelFactory):
    """``integration.token`` holds the plain token of a freshly created integration."""

    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Integration {n}")
    kind = Integration.Kind.ALERTMANAGER
    team = factory.SubFactory(TeamFactory)
    service = None

    class Params:
        generic = factory.Trait(kind=Integration.Kind.GENERIC)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        obj.token = obj.set_new_token()
        obj.save()
        return obj


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    team = factory.SubFactory(TeamFactory)
    severity = 3
    triggered_at = factory.LazyFunction(timezone.now)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    incident = factory.SubFactory(IncidentFactory)
    integration = factory.SubFactory(
        IntegrationFactory, team=factory.SelfAttribute("..incident.team")
    )
    dedup_key = factory.Sequence(lambda n: f"fp{n:08x}")
    status = Alert.Status.FIRING
    summary = factory.Sequence(lambda n: f"Alert {n}")


class InboxPayloadFactory(factory.django.DjangoModelFactory):
    """An accepted payload waiting in the inbox: by default one firing alert (parameters
    ``dedup_key`` and ``summary``); ``incoming=[IncomingAlert, …]`` for others, ``alerts=`` for
    raw JSON, ``failed=True`` for one that could not be ingested."""

    class Meta:
        model = InboxPayload

    integration = factory.SubFactory(IntegrationFactory)
    alerts = factory.LazyAttribute(lambda o: [a.as_json() for a in o.incoming])
    alert_count = factory.LazyAttribute(lambda o: len(o.alerts))
    received_at = factory.LazyFunction(timezone.now)

    class Params:
        dedup_key = factory.Sequence(lambda n: f"inbox-{n}")
        summary = factory.LazyAttribute(lambda o: f"Alert {o.dedup_key}")
        incoming = factory.LazyAttribute(
            lambda o: [
                IncomingAlert(
                    dedup_key=o.dedup_key, group_key=o.dedup_key, status="firing", summary=o.summary
                )
            ]
        )
        failed = factory.Trait(
            failed_at=factory.LazyFunction(timezone.now), error="TypeError: bad payload"
        )


class IncidentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentEvent

    incident = factory.SubFactory(IncidentFactory)
    kind = IncidentEvent.Kind.NOTE
    message = "Something happened."


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")
    repeat_count = 0


class EscalationStepFactory(factory.django.DjangoModelFactory):
    """``users=[...]`` and ``schedules=[...]`` set the step's targets."""

    class Meta:
        model = EscalationStep
        skip_postgeneration_save = True

    policy = factory.SubFactory(EscalationPolicyFactory)
    position = factory.Sequence(lambda n: n)
    wait_minutes = 10

    @factory.post_generation
    def users(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.users.set(extracted)

    @factory.post_generation
    def schedules(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.schedules.set(extracted)


class MaintenanceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenanceWindow

    service = factory.SubFactory(ServiceFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
