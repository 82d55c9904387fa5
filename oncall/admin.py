from django.contrib import admin

from oncall.models import Layer, LayerParticipant, Override, RotaPreferences, Schedule


class LayerParticipantInline(admin.TabularInline):
    model = LayerParticipant
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "time_zone", "created_at"]
    list_filter = ["time_zone"]
    search_fields = ["name", "team__name"]
    list_select_related = ["team"]


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    """Versions of layers. Edit rotas on the schedule page: it keeps the history."""

    list_display = ["name", "schedule", "position", "valid_from", "valid_until"]
    list_filter = ["shift_unit"]
    search_fields = ["name", "schedule__name"]
    list_select_related = ["schedule"]
    inlines = [LayerParticipantInline]
    readonly_fields = ["lineage", "valid_from", "valid_until", "created_by", "created_at"]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "start", "end", "reason", "created_by"]
    search_fields = ["schedule__name", "user__username", "reason"]
    list_select_related = ["schedule", "user", "created_by"]
    raw_id_fields = ["user", "created_by"]


@admin.register(RotaPreferences)
class RotaPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "reminder_lead_minutes", "day_before"]
    raw_id_fields = ["user"]
    exclude = ["ical_token_hash"]
