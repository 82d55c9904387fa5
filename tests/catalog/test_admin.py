"""The Django admin has a working page for every catalog model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from portal.catalog.models import Service, ServiceTransfer, Tag
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Service, ServiceTransfer, Tag])
def test_admin_pages(client, model):
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    transfer = factories.ServiceTransferFactory(by=superuser)
    transfer.service.tags.add(factories.TagFactory())
    instance = {
        Service: transfer.service,
        ServiceTransfer: transfer,
        Tag: transfer.service.tags.get(),
    }[model]
    assert admin.site.is_registered(model)
    client.force_login(superuser)
    opts = model._meta
    for view, args in [("changelist", []), ("add", []), ("change", [instance.pk])]:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
        assert client.get(url).status_code == 200, url
