"""Factories for the REST API's own models."""

import factory

from portal.api.models import ApiToken
from portal.api.services import generate_token, hash_token
from tests.factories.people import UserFactory

__all__ = ["ApiTokenFactory"]


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token row; the token itself is on the returned object as ``.raw`` (tests only)."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    raw = factory.LazyFunction(generate_token)
    prefix = factory.LazyAttribute(lambda o: o.raw[:12])
    key_hash = factory.LazyAttribute(lambda o: hash_token(o.raw))

    @classmethod
    def _create(cls, model_class, *args, raw, **kwargs):
        token = super()._create(model_class, *args, **kwargs)
        token.raw = raw
        return token
