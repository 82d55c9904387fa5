"""Demo contact methods: everyone can be reached by email, except Heidi, whose missing
contact method shows how Runwell flags someone on call who cannot be reached."""

import random

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.notifications.models import Channel, ContactMethod

User = get_user_model()
UNREACHABLE = {"heidi"}


@transaction.atomic
def seed(*, scale: str, rng: random.Random, stdout) -> None:
    users = User.objects.exclude(username__in=UNREACHABLE).exclude(email="")
    have = set(
        ContactMethod.objects.filter(channel=Channel.EMAIL).values_list("user_id", flat=True)
    )
    ContactMethod.objects.bulk_create(
        [
            ContactMethod(user_id=pk, channel=Channel.EMAIL, address=email, label="Work email")
            for pk, email in users.values_list("pk", "email")
            if pk not in have
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
