from django.urls import path

from portal.reports import views

app_name = "reports"
urlpatterns = [
    path("teams/<slug:slug>/load/", views.load_review, name="load_review"),
    path("teams/<slug:slug>/load.csv", views.load_csv, name="load_csv"),
    path("teams/<slug:slug>/oncall-hours.csv", views.compensation_csv, name="compensation_csv"),
    path("teams/<slug:slug>/weekly/", views.weekly_latest, name="weekly_latest"),
    path(
        "teams/<slug:slug>/weekly/<int:year>/<int:week>/",
        views.weekly_review,
        name="weekly_review",
    ),
    path("teams/<slug:slug>/services/", views.service_ranking, name="service_ranking"),
    path("services/<slug:slug>/feedback/", views.service_feedback, name="service_feedback"),
    path("teams/<slug:slug>/holidays/", views.holidays, name="holidays"),
    path(
        "teams/<slug:slug>/holidays/<int:pk>/delete/",
        views.holiday_delete,
        name="holiday_delete",
    ),
]
