from django.contrib import admin

from oncall.swaps.models import SwapEvent, SwapOverride, SwapRequest, TimeOff


class SwapEventInline(admin.TabularInline):
    model = SwapEvent
    extra = 0
    readonly_fields = ["actor", "action", "note", "at"]
    can_delete = False


class SwapOverrideInline(admin.TabularInline):
    model = SwapOverride
    extra = 0
    readonly_fields = ["override", "covers_for"]
    can_delete = False


@admin.register(SwapRequest)
class SwapRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "schedule", "requester", "target", "taker", "start"]
    list_filter = ["status", "kind"]
    search_fields = ["requester__username", "target__username", "taker__username"]
    raw_id_fields = ["schedule", "requester", "created_by", "target", "taker", "revert_asked_by"]
    inlines = [SwapOverrideInline, SwapEventInline]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["user", "start", "end", "note"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
