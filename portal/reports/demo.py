"""Demo holidays for ``seed_demo``: England's bank holidays for Payments (a London team), so
the compensation export has public-holiday hours to show. Idempotent."""

import random
import sys
from datetime import date

from portal.people.models import Team
from portal.reports.models import Holiday

ENGLAND = [
    (date(2025, 1, 1), "New Year's Day"),
    (date(2025, 4, 18), "Good Friday"),
    (date(2025, 4, 21), "Easter Monday"),
    (date(2025, 5, 5), "Early May bank holiday"),
    (date(2025, 5, 26), "Spring bank holiday"),
    (date(2025, 8, 25), "Summer bank holiday"),
    (date(2025, 12, 25), "Christmas Day"),
    (date(2025, 12, 26), "Boxing Day"),
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 5, 4), "Early May bank holiday"),
    (date(2026, 5, 25), "Spring bank holiday"),
    (date(2026, 8, 31), "Summer bank holiday"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "Boxing Day (substitute day)"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
]


def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    team = Team.objects.filter(slug="payments").first()
    if team is None:
        return
    existing = set(Holiday.objects.filter(team=team).values_list("date", flat=True))
    Holiday.objects.bulk_create(
        [Holiday(team=team, date=d, name=n) for d, n in ENGLAND if d not in existing]
    )
    stdout.write(f"  reports: {len(ENGLAND)} bank holidays for Payments")
