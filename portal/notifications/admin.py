from django.contrib import admin

from portal.notifications.models import (
    ContactMethod,
    Message,
    Notification,
    NotificationPreference,
)


class PreferenceInline(admin.TabularInline):
    model = NotificationPreference
    extra = 0


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "channel", "label", "enabled", "last_success_at", "broken_at"]
    list_filter = ["channel", "enabled"]
    search_fields = ["user__username", "address", "label"]
    raw_id_fields = ["user"]
    inlines = [PreferenceInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["method", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    raw_id_fields = ["method"]


class DeliveryInline(admin.TabularInline):
    model = Notification
    fk_name = "message"
    extra = 0
    fields = ["channel", "method", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["dedup_key", "subject", "user__username"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["dedup_key", "user", "kind", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel", "permanent_failure"]
    search_fields = ["dedup_key", "user__username"]
    raw_id_fields = ["message", "method", "user", "bundled_into"]
    date_hierarchy = "created_at"
