"""One factory per model. Apps' tests import from here."""

import factory
from django.contrib.auth import get_user_model

from portal.catalog.models import Service, ServiceTransfer, Tag
from portal.people.models import Membership, Team

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")

    @factory.post_generation
    def time_zone(obj, create, extracted, **kwargs):
        if extracted:
            obj.profile.time_zone = extracted
            obj.profile.save(update_fields=["time_zone"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER

    class Params:
        manager = factory.Trait(role=Membership.Role.MANAGER)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag{n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    team = factory.SubFactory(TeamFactory)
    tier = 2

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class ServiceTransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTransfer

    service = factory.SubFactory(ServiceFactory)
    from_team = factory.SelfAttribute("service.team")
    to_team = factory.SubFactory(TeamFactory)
    by = factory.SubFactory(UserFactory)
