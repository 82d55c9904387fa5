"""The webhooks alerts and heartbeats arrive at: token-authenticated, no session, no CSRF.
They store what came and answer at once (202); the inbox drain ingests it in the background."""

import logging
import time

from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents import heartbeats, ingest, payloads, ratelimit, selectors
from incidents.models import Integration

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------- webhooks
def _json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _read_body(request) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise payloads.PayloadError("The Content-Length header is not a number.") from exc
    if length > payloads.MAX_BODY_BYTES:
        raise payloads.PayloadError(
            f"The body is larger than {payloads.MAX_BODY_BYTES} bytes (1 MiB)."
        )
    return request.read(payloads.MAX_BODY_BYTES + 1)


def _rate_limited(integration: Integration, message: str) -> JsonResponse | None:
    """Count one request against the integration's limit: the 429 to answer when it is over
    the limit, else None."""
    retry_after = ratelimit.hit(
        f"integration:{integration.pk}", limit=integration.rate_limit_per_minute
    )
    if retry_after is None:
        return None
    response = _json_error(message, 429)
    response["Retry-After"] = str(retry_after)
    return response


def _hook(request, token: str, kind: str):
    integration = selectors.integration_for_hook(token=token, kind=kind)
    if integration is None:
        return _json_error("No such integration (or it is disabled).", 404)
    # One round trip to Redis counts the request and tells whether a drain is at work.
    asked_at = time.monotonic()
    verdict = ratelimit.check(
        f"integration:{integration.pk}",
        limit=integration.rate_limit_per_minute,
        peek=ingest.DOORBELL_KEY,
    )
    if verdict.retry_after is not None:
        message = f"Rate limit of {integration.rate_limit_per_minute} requests per minute exceeded."
        response = _json_error(message, 429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        body = _read_body(request)
        if body.strip():  # an empty body gets "empty", whatever its type
            payloads.check_content_type(request.META.get("CONTENT_TYPE"))
        alerts = payloads.parse(kind, body)
    except payloads.MediaTypeError as exc:
        return JsonResponse(exc.as_dict(), status=415)
    except payloads.PayloadError as exc:
        return JsonResponse(exc.as_dict(), status=400)
    try:
        ingest.inbox_accept(
            integration_id=integration.pk,
            alerts=alerts,
            drain_seen_at=asked_at if verdict.peeked else None,
        )
    except DatabaseError:
        logger.exception("Could not store alerts for integration %s", integration.pk)
        return _json_error("The alerts could not be stored; please retry.", 503)
    # Stored: incidents are opened (or joined) in the background, in arrival order.
    return JsonResponse({"status": "accepted", "alerts": len(alerts)}, status=202)


@csrf_exempt
@require_POST
def hook_alertmanager(request, token):
    return _hook(request, token, "alertmanager")


@csrf_exempt
@require_POST
def hook_generic(request, token):
    return _hook(request, token, "generic")


@csrf_exempt
@require_POST
def hook_heartbeat(request, token):
    integration = selectors.integration_for_token(token=token)
    if integration is None or not integration.heartbeat_minutes:
        return _json_error("No such heartbeat (or it is disabled).", 404)
    limited = _rate_limited(integration, "Rate limit exceeded.")
    if limited is not None:
        return limited
    try:
        result = heartbeats.heartbeat_ping(integration=integration)
    except DatabaseError:
        logger.exception("Could not record a heartbeat for integration %s", integration.pk)
        return _json_error("The ping could not be stored; please retry.", 503)
    return JsonResponse({"status": "accepted", **result.as_dict()}, status=202)
