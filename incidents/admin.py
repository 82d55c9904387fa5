from django.contrib import admin, messages

from incidents import ingest
from incidents.models import (
    Alert,
    EscalationPolicy,
    EscalationStep,
    InboxPayload,
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "service", "enabled", "last_alert_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    readonly_fields = ["token_prefix", "token_hash", "token_rotated_at", "last_ping_at"]


class AlertInline(admin.TabularInline):
    model = Alert
    extra = 0
    fields = ["dedup_key", "status", "summary", "severity", "received_at"]
    readonly_fields = fields
    show_change_link = True


class EventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    fields = ["at", "kind", "actor", "message", "lag_ms"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["pk", "title", "severity", "status", "team", "triggered_at"]
    list_filter = ["status", "severity"]
    search_fields = ["title"]
    raw_id_fields = ["commander", "comms_lead", "acknowledged_by", "resolved_by", "created_by"]
    inlines = [AlertInline, EventInline]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["summary", "status", "integration", "incident", "received_at"]
    list_filter = ["status"]
    search_fields = ["summary", "dedup_key"]
    raw_id_fields = ["incident"]


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "service", "repeat_count"]
    inlines = [StepInline]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["service", "starts_at", "ends_at", "reason"]


class InboxStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("failed", "Failed"), ("pending", "Waiting")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(failed_at__isnull=True)
        return queryset


@admin.register(InboxPayload)
class InboxPayloadAdmin(admin.ModelAdmin):
    """Accepted webhook payloads not ingested yet, and those that failed (kept with their
    error until someone queues them again or deletes them)."""

    list_display = ["pk", "integration", "alert_count", "received_at", "failed_at", "error"]
    list_filter = [InboxStateFilter, "integration"]
    list_select_related = ["integration"]
    readonly_fields = ["integration", "alert_count", "received_at", "failed_at", "error"]
    actions = ["process_again"]

    @admin.action(description="Queue the selected failed payloads again")
    def process_again(self, request, queryset):
        count = ingest.inbox_retry(payload_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} payload(s) queued again.", messages.SUCCESS)
