from django.contrib import admin

from portal.reports.models import Holiday


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "team"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    date_hierarchy = "date"
