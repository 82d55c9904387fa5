"""Every model of Runwell can be seen and edited in the Django admin: registered itself, or
edited inline on the page of the model it belongs to."""

from django.apps import apps
from django.contrib import admin

OUR_APPS = {"people", "catalog", "notifications", "api", "reports", "oncall", "swaps"}
OUR_APPS |= {"incidents", "postmortems"}


def test_every_model_is_in_the_admin():
    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    assert len(ours) > 20
    missing = [
        m._meta.label for m in ours if m not in admin.site._registry and m not in inline_models
    ]
    assert missing == []
