"""Every API error is JSON: ``{"detail": "..."}``, or one list of messages per field
(``{"name": ["..."], "non_field_errors": ["..."]}``) for bad input. Never an HTML page."""

import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("django.request")


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service refused the write: show its messages next to the fields it names.
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, list):
            response.data = {api_non_field_key(): response.data}
        return response
    # An unexpected error. Record it as Django would (the log, and the signal the test client
    # and error reporters listen to), then answer JSON rather than an HTML error page.
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    logger.error(
        "Internal Server Error: %s",
        getattr(django_request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": django_request},
    )
    signals.got_request_exception.send(sender=None, request=django_request)
    set_rollback()
    return Response(
        {"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def api_non_field_key() -> str:
    return settings.REST_FRAMEWORK.get("NON_FIELD_ERRORS_KEY", "non_field_errors")


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """A JSON 404 for any unknown URL under /api/, whatever the method (plain Django: no
    auth, no throttle; CSRF-exempt since it changes nothing and must not answer 403 HTML)."""
    detail = "Not found."
    path = request.path_info
    if not path.endswith("/"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = f"Not found. Did you mean {request.path}/ ?"
    return JsonResponse({"detail": detail}, status=404)
