"""REST API for incidents: incidents and their timeline, alerts, integrations, escalation
policies and their steps, and service maintenance windows (postmortems and action items are
the postmortems sub-app's: ``incidents/postmortems/api.py``).

Permissions are the pages' (:mod:`incidents.access`): everyone signed in reads incidents and
alerts and may declare an incident; members of the owning team (and staff) act on it
(acknowledge, resolve, escalate, note, severity, roles, reassign); a team's managers (and
staff) manage its integrations, escalation policies and its services' maintenance. Writes go
through :mod:`incidents.services`, reads through the selectors.
"""

from django.urls import path

from incidents.api.alerts import AlertViewSet
from incidents.api.incidents import IncidentViewSet
from incidents.api.integrations import IntegrationViewSet
from incidents.api.maintenance import MaintenanceView
from incidents.api.policies import PolicyViewSet, StepViewSet


def register(router) -> None:
    """This app's viewsets on the project's API router (``portal/api/urls.py``)."""
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("integrations", IntegrationViewSet, basename="integration")
    router.register("escalation-policies", PolicyViewSet, basename="policy")
    router.register(r"escalation-policies/(?P<policy_pk>\d+)/steps", StepViewSet, basename="step")


urlpatterns = [
    path(
        "services/<slug:slug>/maintenance/", MaintenanceView.as_view(), name="service-maintenance"
    ),
]
