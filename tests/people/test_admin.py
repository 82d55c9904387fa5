"""The Django admin has a working page for every people model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from portal.people.models import Membership, Profile, Team
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Team, Membership, Profile])
def test_admin_pages(client, model):
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    membership = factories.MembershipFactory(role="manager")
    instance = {Team: membership.team, Membership: membership, Profile: superuser.profile}[model]
    assert admin.site.is_registered(model)
    client.force_login(superuser)
    opts = model._meta
    for view, args in [("changelist", []), ("add", []), ("change", [instance.pk])]:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
        assert client.get(url).status_code == 200, url
    search = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(search, {"q": "x"}).status_code == 200
