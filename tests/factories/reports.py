"""Factories for the reports area."""

from datetime import date

import factory

from portal.reports.models import Holiday
from tests.factories.people import TeamFactory

__all__ = ["HolidayFactory"]


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    team = factory.SubFactory(TeamFactory)
    date = factory.Sequence(lambda n: date(2024, 1, 1).replace(day=1 + n % 28))
    name = factory.Sequence(lambda n: f"Holiday {n}")
