from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from portal import metrics, views
from portal.api.exceptions import api_not_found
from portal.people.signin import AdminSignInForm, answers_429_when_throttled

# Both sign-in forms count failures per account and per address (portal/people/signin.py).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include("portal.api.urls")),
    re_path(r"^api/", api_not_found, name="api_not_found"),
    path("profile/api-tokens/", include("portal.api.token_urls")),
    path("login/", answers_429_when_throttled(views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("portal.people.urls")),
    path("services/", include("portal.catalog.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("oncall/swaps/", include("oncall.swaps.urls")),
    path("oncall/", include("oncall.urls")),
    path("", include("incidents.urls")),
    path("postmortems/", include("incidents.postmortems.urls")),
    path("reports/", include("portal.reports.urls")),
    path("admin/login/", answers_429_when_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
]
