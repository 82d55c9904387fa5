"""Factories for rotas: schedules, layer versions with participants, overrides, preferences."""

from datetime import UTC, date, datetime, time

import factory

from oncall.models import Layer, LayerParticipant, Override, RotaPreferences, Schedule
from tests.factories.people import MembershipFactory, TeamFactory, UserFactory

__all__ = [
    "ScheduleFactory",
    "LayerFactory",
    "LayerParticipantFactory",
    "OverrideFactory",
    "RotaPreferencesFactory",
    "rota_member",
]

# Layers made by the factory are in force from long ago unless a test says otherwise.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def rota_member(team, **kwargs):
    """A new user who is a member of ``team`` (roles via ``role=``)."""
    return MembershipFactory(team=team, **kwargs).user


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Rota {n}")
    time_zone = "UTC"


class LayerFactory(factory.django.DjangoModelFactory):
    """A layer version. ``participants=[user, ...]`` adds them in order (team members are
    not enforced here: that is the service's job and tested there)."""

    class Meta:
        model = Layer
        skip_postgeneration_save = True

    schedule = factory.SubFactory(ScheduleFactory)
    name = factory.Sequence(lambda n: f"Layer {n}")
    position = factory.Sequence(lambda n: n)
    time_zone = factory.SelfAttribute("schedule.time_zone")
    shift_length = 1
    shift_unit = Layer.Unit.WEEKS
    rotation_start = date(2024, 1, 1)
    handoff_time = time(9, 0)
    valid_from = EPOCH

    @factory.post_generation
    def participants(obj, create, extracted, **kwargs):
        if create and extracted:
            LayerParticipant.objects.bulk_create(
                [LayerParticipant(layer=obj, user=u, position=i) for i, u in enumerate(extracted)]
            )


class LayerParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LayerParticipant

    layer = factory.SubFactory(LayerFactory)
    user = factory.SubFactory(UserFactory)
    position = factory.Sequence(lambda n: n)


class OverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    schedule = factory.SubFactory(ScheduleFactory)
    user = factory.SubFactory(UserFactory)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    end = datetime(2024, 1, 1, 17, tzinfo=UTC)
    reason = "Cover"


class RotaPreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RotaPreferences
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory)
