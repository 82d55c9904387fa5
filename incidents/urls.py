from django.urls import path

from incidents import hook_views, setup_views, views

app_name = "incidents"
urlpatterns = [
    # Webhooks (token-authenticated, no session, no CSRF).
    path("hooks/alertmanager/<str:token>/", hook_views.hook_alertmanager, name="hook_alertmanager"),
    path("hooks/generic/<str:token>/", hook_views.hook_generic, name="hook_generic"),
    path("hooks/heartbeat/<str:token>/", hook_views.hook_heartbeat, name="hook_heartbeat"),
    # Incidents.
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/declare/", views.incident_declare, name="incident_declare"),
    path("incidents/respond/<str:token>/", views.respond, name="respond"),
    path("incidents/lookup/people/", views.people_lookup, name="people_lookup"),
    path("incidents/lookup/services/", views.service_lookup, name="service_lookup"),
    path("incidents/lookup/teams/", views.team_lookup, name="team_lookup"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/acknowledge/", views.incident_acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/resolve/", views.incident_resolve, name="resolve"),
    path("incidents/<int:pk>/escalate/", views.incident_escalate, name="escalate"),
    path("incidents/<int:pk>/note/", views.incident_note, name="note"),
    path("incidents/<int:pk>/severity/", views.incident_severity, name="severity"),
    path("incidents/<int:pk>/role/", views.incident_role, name="role"),
    path("incidents/<int:pk>/reassign/", views.incident_reassign, name="reassign"),
    # Team set-up: integrations, escalation policies; service maintenance.
    path(
        "incidents/teams/<slug:slug>/integrations/",
        setup_views.integration_list,
        name="integration_list",
    ),
    path("incidents/integrations/<int:pk>/", setup_views.integration_edit, name="integration_edit"),
    path(
        "incidents/integrations/<int:pk>/token/",
        setup_views.integration_token,
        name="integration_token",
    ),
    path(
        "incidents/integrations/<int:pk>/rotate/",
        setup_views.integration_rotate,
        name="integration_rotate",
    ),
    path("incidents/teams/<slug:slug>/policies/", setup_views.policy_list, name="policy_list"),
    path("incidents/policies/<int:pk>/", setup_views.policy_detail, name="policy_detail"),
    path("incidents/policies/<int:pk>/delete/", setup_views.policy_delete, name="policy_delete"),
    path("incidents/policies/<int:pk>/steps/", setup_views.step_add, name="step_add"),
    path("incidents/steps/<int:pk>/", setup_views.step_edit, name="step_edit"),
    path(
        "incidents/services/<slug:slug>/maintenance/", setup_views.maintenance, name="maintenance"
    ),
]
