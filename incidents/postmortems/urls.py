from django.urls import path

from incidents.postmortems import editor_views, views

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("incidents/<int:incident_id>/start/", views.postmortem_start, name="start"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/edit/", editor_views.postmortem_edit, name="edit"),
    path("<int:pk>/export.md", views.postmortem_export, name="export"),
    path("<int:pk>/header/", editor_views.header_save, name="header_save"),
    path("<int:pk>/sections/<int:section_id>/", editor_views.section_save, name="section_save"),
    path("<int:pk>/timeline/", editor_views.entry_add, name="entry_add"),
    path("<int:pk>/timeline/<int:entry_id>/", editor_views.entry_save, name="entry_save"),
    path("<int:pk>/review/", views.review_request, name="review_request"),
    path(
        "<int:pk>/reviewers/<int:user_id>/remove/",
        views.reviewer_remove,
        name="reviewer_remove",
    ),
    path("<int:pk>/approve/", views.review_approve, name="approve"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/draft/", views.back_to_draft, name="back_to_draft"),
    path("<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("<int:pk>/actions/", views.item_add, name="item_add"),
    # Action items.
    path("actions/mine/", views.my_items, name="my_items"),
    path("actions/<int:pk>/", views.item_detail, name="action_item"),
    path("actions/<int:pk>/done/", views.item_done, name="item_done"),
    path("teams/<slug:slug>/actions/", views.team_items, name="team_items"),
    path("teams/<slug:slug>/settings/", views.team_settings, name="team_settings"),
]
