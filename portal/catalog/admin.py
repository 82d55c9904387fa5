from django.contrib import admin
from django.db import models

from portal.catalog.models import Service, ServiceTransfer, Tag


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team", "tier", "archived_at"]
    list_filter = ["tier", "team"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["dependencies", "tags"]
    autocomplete_fields = ["team"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ServiceTransfer)
class ServiceTransferAdmin(admin.ModelAdmin):
    list_display = ["service", "from_team", "to_team", "by", "at"]
    list_select_related = ["service", "from_team", "to_team", "by"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
