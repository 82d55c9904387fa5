from django.contrib import admin

from incidents.postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemComment,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    TimelineEntry,
)


class SectionInline(admin.StackedInline):
    model = PostmortemSection
    extra = 0
    fields = ["position", "title", "body", "version"]


class ReviewerInline(admin.TabularInline):
    model = PostmortemReviewer
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["title", "incident", "team", "severity", "status", "started_at"]
    list_filter = ["status", "severity", "team"]
    search_fields = ["title"]
    raw_id_fields = [
        "incident",
        "people",
        "created_by",
        "updated_by",
        "published_by",
        "review_requested_by",
    ]
    inlines = [SectionInline, ReviewerInline]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_date", "priority", "status"]
    list_filter = ["status", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["postmortem", "owner", "service", "closed_by", "created_by"]


admin.site.register(PostmortemSettings)
admin.site.register(TimelineEntry, list_display=["postmortem", "position", "at", "text"])
admin.site.register(PostmortemComment, list_display=["postmortem", "author", "created_at"])
