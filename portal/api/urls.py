"""The REST API, mounted at /api/v1/: the OpenAPI schema and docs, and each app's endpoints.

Every app (and sub-app) owns its ``api.py``: its viewsets, registered on this router by its
``register(router)``, and its other endpoints in its ``urlpatterns``. This module only
includes them; a new app's API is one line in ``APPS``.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from incidents import api as incidents_api
from incidents.postmortems import api as postmortems_api
from oncall import api as oncall_api
from oncall.swaps import api as swaps_api
from portal.api.exceptions import api_not_found
from portal.api.views import ApiTokenViewSet
from portal.catalog import api as catalog_api
from portal.notifications import api as notifications_api
from portal.people import api as people_api
from portal.reports import api as reports_api

app_name = "api"

APPS = (
    people_api,
    reports_api,
    catalog_api,
    oncall_api,
    swaps_api,
    incidents_api,
    postmortems_api,
    notifications_api,
)

router = DefaultRouter()
router.register("tokens", ApiTokenViewSet, basename="token")
for app in APPS:
    app.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *(pattern for app in APPS for pattern in app.urlpatterns),
    path("", include(router.urls)),
    re_path(r"^", api_not_found, name="not_found"),
]
