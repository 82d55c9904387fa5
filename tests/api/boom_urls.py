"""The project's URLs plus an API view that fails, to see what an unexpected error returns."""

from django.urls import include, path

from portal.api.base import ApiView


class Boom(ApiView):
    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [path("api/v1/boom/", Boom.as_view()), path("", include("portal.urls"))]
