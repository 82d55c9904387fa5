"""Prometheus metrics at ``GET /metrics``.

Two sources, chosen so every number is right however many processes run Runwell:

- **HTTP requests** (count and latency by view) are observed by :class:`MetricsMiddleware`
  in the web process that served them. One web process (``runserver``, one gunicorn worker)
  keeps them in memory. Several gunicorn workers must share them: set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (wiped at each deploy) in the web
  processes' environment, and prometheus-client's multiprocess mode writes every worker's
  samples there and sums them at scrape time.
- **Everything the database knows** (alerts ingested, incidents opened, the inbox of
  accepted webhook payloads, notifications sent, failed and pending, escalation lag) is
  computed from the database at scrape time by :class:`DatabaseCollector`. Celery workers do
  that work in other processes, on other hosts even, so an in-memory counter in a worker
  would never reach the web process that answers the scrape; the database is the one place
  that sees all of it. Counters are counts of
  rows, so they only move forward (deleting old rows shows as a counter reset, which
  Prometheus's ``rate()`` handles).

``METRICS_TOKEN``, when set, must be sent as ``Authorization: Bearer <token>``.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

logger = logging.getLogger(__name__)

# No "_created" series: they double the output and nothing here needs them.
disable_created_metrics()

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "runwell_http_requests",
    "HTTP requests served, by view (URL name), method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "runwell_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL name) and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Escalation lag buckets (seconds late): the beat tick is every few seconds, so most steps
# should land in the first buckets.
LAG_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


def view_label(request) -> str:
    """A bounded label for the view that answered: its URL name, else its route pattern."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    if match.view_name:
        return match.view_name
    return match.route or "<unnamed>"


class MetricsMiddleware:
    """Counts every request and times it, by view. Put it first in MIDDLEWARE so the time
    includes the other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in HTTP_METHODS else "other"
        view = view_label(request)
        REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
        LATENCY.labels(view=view, method=method).observe(elapsed)
        return response


# ------------------------------------------------------------------------ database metrics
def _model(label: str, name: str):
    """The model, or None while the app that owns it is not built or not installed."""
    try:
        return apps.get_model(label, name)
    except LookupError:
        return None


class DatabaseCollector:
    """Metrics computed from the database on each scrape (a few aggregate queries)."""

    def collect(self):
        up = GaugeMetricFamily(
            "runwell_metrics_database_up",
            "1 when the database answered the metrics queries, 0 when it did not.",
        )
        try:
            families = list(self._notifications()) + list(self._incidents())
        except DatabaseError:
            logger.exception("metrics: the database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    # -------------------------------------------------------------------- notifications
    def _notifications(self):
        Notification = _model("notifications", "Notification")
        if Notification is None:
            return
        channels = [c for c, _ in Notification._meta.get_field("channel").choices]
        status = Notification.Status
        counts: dict[tuple[str, str], int] = {}
        rows = Notification.objects.order_by().values_list("status", "channel")
        for st, channel, n in rows.annotate(n=Count("pk")).values_list("status", "channel", "n"):
            counts[st, channel] = n
        sent = CounterMetricFamily(
            "runwell_notifications_sent",
            "Notifications delivered, by channel.",
            labels=["channel"],
        )
        failed = CounterMetricFamily(
            "runwell_notifications_failed",
            "Notifications that failed for good (permanent error or out of retries), by channel.",
            labels=["channel"],
        )
        pending = GaugeMetricFamily(
            "runwell_notifications_pending",
            "Notifications not delivered yet (waiting, retrying or being sent), by channel.",
            labels=["channel"],
        )
        for channel in channels:
            sent.add_metric([channel], counts.get((status.SENT, channel), 0))
            failed.add_metric([channel], counts.get((status.FAILED, channel), 0))
            pending.add_metric(
                [channel],
                counts.get((status.PENDING, channel), 0) + counts.get((status.SENDING, channel), 0),
            )
        oldest = Notification.objects.filter(status__in=[status.PENDING, status.SENDING]).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        age = GaugeMetricFamily(
            "runwell_notifications_oldest_pending_age_seconds",
            "Age of the oldest notification not delivered yet (0 when none is waiting).",
        )
        age.add_metric([], max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0)
        yield from (sent, failed, pending, age)

    # ------------------------------------------------------------------------ incidents
    def _incidents(self):
        Alert = _model("incidents", "Alert")
        Incident = _model("incidents", "Incident")
        IncidentEvent = _model("incidents", "IncidentEvent")
        if Alert is None or Incident is None or IncidentEvent is None:
            return
        kinds = [k for k, _ in _model("incidents", "Integration").Kind.choices]
        by_kind = dict(
            Alert.objects.order_by()
            .values_list("integration__kind")
            .annotate(n=Count("pk"))
            .values_list("integration__kind", "n")
        )
        alerts = CounterMetricFamily(
            "runwell_alerts_ingested",
            "Alerts received from integrations (one per alert identity and incident), by "
            "integration kind.",
            labels=["integration_kind"],
        )
        for kind in kinds:
            alerts.add_metric([kind], by_kind.get(kind, 0))
        yield alerts

        counts = Incident.objects.aggregate(
            alert=Count("pk", filter=Q(integration__isnull=False)),
            manual=Count("pk", filter=Q(integration__isnull=True)),
            triggered=Count("pk", filter=Q(status=Incident.Status.TRIGGERED)),
            acknowledged=Count("pk", filter=Q(status=Incident.Status.ACKNOWLEDGED)),
        )
        opened = CounterMetricFamily(
            "runwell_incidents_opened",
            "Incidents opened, by source: alert (opened by an integration) or manual (declared).",
            labels=["source"],
        )
        opened.add_metric(["alert"], counts["alert"])
        opened.add_metric(["manual"], counts["manual"])
        yield opened
        open_now = GaugeMetricFamily(
            "runwell_incidents_open", "Incidents open now, by status.", labels=["status"]
        )
        open_now.add_metric(["triggered"], counts["triggered"])
        open_now.add_metric(["acknowledged"], counts["acknowledged"])
        yield open_now

        # The inbox: accepted webhook payloads waiting to be ingested, and those that failed.
        InboxPayload = _model("incidents", "InboxPayload")
        if InboxPayload is not None:
            inbox = InboxPayload.objects.aggregate(
                waiting=Count("pk", filter=Q(failed_at__isnull=True)),
                failed=Count("pk", filter=Q(failed_at__isnull=False)),
                oldest=Min("received_at", filter=Q(failed_at__isnull=True)),
            )
            waiting = GaugeMetricFamily(
                "runwell_inbox_pending",
                "Webhook payloads accepted (202) but not ingested into alerts and incidents yet.",
            )
            waiting.add_metric([], inbox["waiting"])
            age = GaugeMetricFamily(
                "runwell_inbox_oldest_pending_age_seconds",
                "Age of the oldest webhook payload waiting to be ingested (0 when none is).",
            )
            oldest = inbox["oldest"]
            age.add_metric([], max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0)
            failed = GaugeMetricFamily(
                "runwell_inbox_failed",
                "Webhook payloads that could not be ingested, kept for a person to look at "
                "(admin: Inbox payloads).",
            )
            failed.add_metric([], inbox["failed"])
            yield from (waiting, age, failed)

        # Escalation lag: how late each escalation step fired after it was due, from the
        # timeline events the escalation engine writes (``due_at`` and ``lag_ms``).
        buckets = {
            f"le_{i}": Count("pk", filter=Q(lag_ms__lte=bound * 1000))
            for i, bound in enumerate(LAG_BUCKETS)
        }
        stepped = [IncidentEvent.Kind.ESCALATION, IncidentEvent.Kind.NOBODY]
        lag = IncidentEvent.objects.filter(kind__in=stepped, lag_ms__isnull=False).aggregate(
            count=Count("pk"), total_ms=Sum("lag_ms"), **buckets
        )
        histogram = HistogramMetricFamily(
            "runwell_escalation_lag_seconds",
            "How late escalation steps fired after they were due.",
            buckets=[(str(float(b)), lag[f"le_{i}"]) for i, b in enumerate(LAG_BUCKETS)]
            + [("+Inf", lag["count"])],
            sum_value=(lag["total_ms"] or 0) / 1000,
        )
        yield histogram


_DATABASE_COLLECTOR = DatabaseCollector()


def _registries() -> list:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)
        http = shared
    else:
        http = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(_DATABASE_COLLECTOR)
    return [http, database]


def render_metrics() -> bytes:
    """The whole exposition, in Prometheus text format."""
    return b"".join(generate_latest(registry) for registry in _registries())


def _token_matches(request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _address_allowed(request, networks) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


@never_cache
@require_GET
def metrics_view(request):
    """The exposition, for a request with the token (``METRICS_TOKEN``) or from an allowed
    address (``METRICS_ALLOW_IPS``). With neither configured: open under DEBUG, closed in
    production (a scrape there needs one of them)."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOW_IPS
    if (token and _token_matches(request, token)) or _address_allowed(request, networks):
        return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
    if token:
        response = HttpResponse("Send the metrics token.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if networks or not settings.METRICS_OPEN_WITHOUT_CREDENTIALS:
        return HttpResponse(
            "Metrics are not open to this address: set METRICS_TOKEN or METRICS_ALLOW_IPS.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
