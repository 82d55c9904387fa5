from django.urls import path

from portal.people import views

app_name = "people"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:slug>/edit/", views.team_edit, name="team_edit"),
    path("teams/<slug:slug>/members/add/", views.member_add, name="member_add"),
    path("teams/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("teams/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
]
