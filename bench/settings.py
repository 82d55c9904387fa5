"""Settings of the benchmark processes: the project's own, plus a bare view (``bench.urls``)
that measures what the web stack alone can do, and plain static file storage so pages render
with ``DEBUG=false`` without running ``collectstatic`` first."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# ``make bench`` measures pages on two databases from one process: the large seed is the
# default database, the small seed the "small" alias, chosen per request by the router.
if env.str("BENCH_SMALL_DATABASE_URL", default=""):  # noqa: F405
    DATABASES["small"] = env.db("BENCH_SMALL_DATABASE_URL")  # noqa: F405
    DATABASES["small"].setdefault("CONN_MAX_AGE", 0)  # noqa: F405
    DATABASE_ROUTERS = ["bench.pages.Router"]

# ``bench.ingest`` measures ingestion (the webhook, and the worker draining the inbox). In its
# processes the escalation kicks of the incidents it opens go to a queue no worker reads, as
# before the inbox, when that benchmark ran no worker at all; it drops them afterwards.
# ``bench.paging`` measures escalation and delivery.
if env.bool("BENCH_PARK_ESCALATIONS", default=False):  # noqa: F405
    CELERY_TASK_ROUTES = {
        "incidents.tasks.escalate_incident": {"queue": "bench-parked"},
        "incidents.tasks.escalation_tick": {"queue": "bench-parked"},
    }
