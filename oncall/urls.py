from django.urls import path

from oncall import everywhere_views, feed_views, layer_views, views

app_name = "oncall"
urlpatterns = [
    path("", views.my_shifts, name="my_shifts"),
    path("now/", everywhere_views.oncall_now, name="now"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/feed-token/", feed_views.preferences_token, name="preferences_token"),
    path("feeds/<str:token>.ics", feed_views.feed, name="feed"),
    path("teams/<slug:slug>/", views.team_schedules, name="team_schedules"),
    path("teams/<slug:slug>/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule_detail"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/feed-token/", feed_views.schedule_token, name="schedule_token"),
    path("schedules/<int:pk>/layers/new/", layer_views.layer_create, name="layer_create"),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/edit/", layer_views.layer_edit, name="layer_edit"
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/remove/",
        layer_views.layer_remove,
        name="layer_remove",
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/move/", layer_views.layer_move, name="layer_move"
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/participants/add/",
        layer_views.participant_add,
        name="participant_add",
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/participants/<int:user_pk>/remove/",
        layer_views.participant_remove,
        name="participant_remove",
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/participants/<int:user_pk>/move/",
        layer_views.participant_move,
        name="participant_move",
    ),
    path("schedules/<int:pk>/overrides/new/", views.override_create, name="override_create"),
    path(
        "schedules/<int:pk>/overrides/<int:override_pk>/remove/",
        views.override_remove,
        name="override_remove",
    ),
]
