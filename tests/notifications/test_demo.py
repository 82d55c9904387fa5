import random

import pytest
from django.contrib.auth import get_user_model

from portal import demo as portal_demo
from portal.notifications import demo
from portal.notifications.models import ContactMethod
from portal.notifications.selectors import unreachable_user_ids

User = get_user_model()


@pytest.mark.django_db
def test_demo_people_are_reachable_by_email_except_heidi_and_seeding_twice_adds_nothing():
    portal_demo.seed(scale="small", rng=random.Random(1), stdout=None)
    demo.seed(scale="small", rng=random.Random(1), stdout=None)
    count = ContactMethod.objects.count()
    demo.seed(scale="small", rng=random.Random(1), stdout=None)
    assert ContactMethod.objects.count() == count
    users = dict(User.objects.values_list("username", "pk"))
    unreachable = unreachable_user_ids(user_ids=users.values())
    assert users["heidi"] in unreachable
    assert users["demo"] not in unreachable
    assert ContactMethod.objects.get(user_id=users["demo"]).address == "demo@example.com"
