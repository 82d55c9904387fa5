"""The REST API, mounted at /api/v1/: every app's viewsets, the OpenAPI schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from incidents.api import (
    ActionItemViewSet,
    AlertViewSet,
    IncidentViewSet,
    IntegrationViewSet,
    MaintenanceView,
    PolicyViewSet,
    PostmortemViewSet,
    StepViewSet,
)
from oncall.api import (
    LayerViewSet,
    MyShiftsView,
    OnCallView,
    OverrideViewSet,
    RotaFeedTokenView,
    RotaPreferencesView,
    ScheduleViewSet,
    SwapRequestViewSet,
    TimeOffViewSet,
)
from portal.api.exceptions import api_not_found
from portal.api.views import ApiTokenViewSet
from portal.catalog.api import ServiceViewSet
from portal.notifications.api import ContactMethodViewSet, InboxViewSet, PreferencesView
from portal.people.api import MemberViewSet, ProfileView, TeamViewSet
from portal.reports.api import HolidayViewSet

app_name = "api"

router = DefaultRouter()
router.register("teams", TeamViewSet, basename="team")
router.register(r"teams/(?P<team_slug>[-\w]+)/members", MemberViewSet, basename="member")
router.register(r"teams/(?P<team_slug>[-\w]+)/holidays", HolidayViewSet, basename="holiday")
router.register("services", ServiceViewSet, basename="service")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register(r"schedules/(?P<schedule_pk>\d+)/layers", LayerViewSet, basename="layer")
router.register(r"schedules/(?P<schedule_pk>\d+)/overrides", OverrideViewSet, basename="override")
router.register("swap-requests", SwapRequestViewSet, basename="swap-request")
router.register("time-off", TimeOffViewSet, basename="time-off")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("alerts", AlertViewSet, basename="alert")
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("escalation-policies", PolicyViewSet, basename="policy")
router.register(r"escalation-policies/(?P<policy_pk>\d+)/steps", StepViewSet, basename="step")
router.register("postmortems", PostmortemViewSet, basename="postmortem")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("contact-methods", ContactMethodViewSet, basename="contact-method")
router.register("inbox", InboxViewSet, basename="inbox")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("profile/", ProfileView.as_view(), name="profile"),
    path("oncall/", OnCallView.as_view(), name="oncall"),
    path(
        "services/<slug:slug>/maintenance/", MaintenanceView.as_view(), name="service-maintenance"
    ),
    path("my-shifts/", MyShiftsView.as_view(), name="my-shifts"),
    path("rota-preferences/", RotaPreferencesView.as_view(), name="rota-preferences"),
    path(
        "rota-preferences/regenerate-feed-token/",
        RotaFeedTokenView.as_view(),
        name="rota-feed-token",
    ),
    path(
        "notification-preferences/",
        PreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("", include(router.urls)),
    re_path(r"^", api_not_found, name="not_found"),
]
