"""Runwell settings: twelve-factor, every knob read once through one ``environ.Env()``.

Every setting has a default that suits ``make run`` (SQLite in the project folder, an embedded
filesystem broker, console email). Production sets ``DEBUG=false`` and must then provide a
real ``SECRET_KEY``: the default one refuses to start.
"""

import ipaddress
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_SECRET_KEY = "insecure-runwell-development-key-change-me"
# Production's key signs sessions, acknowledge links and password resets: as Django's own
# deploy check asks, at least 50 characters, at least 5 different ones.
SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_UNIQUE = 50, 5
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == INSECURE_SECRET_KEY
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off: at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, not the built-in development key (it is public). "
        "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
RUNWELL_BASE_URL = env.str("RUNWELL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "portal.people",
    "portal.catalog",
    "portal.notifications",
    "oncall",
    "oncall.swaps",
    "incidents",
    "incidents.postmortems",
    "portal.api",
    "portal.reports",
]

MIDDLEWARE = [
    "portal.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.people.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": [
                "django_htmx.templatetags.django_htmx",
                "portal.people.templatetags.people",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# The test runner's database (default: "test_" + the name). The calendar sweep runs two
# dates at once against one server, each with a test database of its own.
if TEST_DATABASE_NAME := env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the worker and beat share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # HTTPS only: redirect plain HTTP (except the health check and the metrics scrape, which
    # reach the web processes directly) and tell browsers to stay on HTTPS (HSTS).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = env.list(
        "SECURE_REDIRECT_EXEMPT", default=[r"^healthz$", r"^metrics$"]
    )
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Trust X-Forwarded-Proto: https only behind a proxy that sets it (and drops the client's own):
# otherwise anyone could make a plain HTTP request look secure.
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Email: console in development, SMTP (smtp://user:pass@host:587 or smtp+tls://...) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Runwell <runwell@localhost>")
# Seconds per SMTP operation: a dead mail server must not hold a delivery worker for long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Outbound HTTP (portal/outbound.py) refuses private, loopback and reserved targets, except
# these networks (CIDR, e.g. "10.20.0.0/16,127.0.0.1/32"): staff's own chat server or provider
# on the company network, test fakes on loopback. Anyone's webhook may then reach them too.
OUTBOUND_ALLOW_PRIVATE = env.list("OUTBOUND_ALLOW_PRIVATE", default=[])
for _network in OUTBOUND_ALLOW_PRIVATE:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOW_PRIVATE: {_exc}") from _exc
# Contact methods: at most this many per person; "Test" sends per 10 minutes, per person and
# per address (whoever sends them: a test must not be a way to flood someone else's inbox).
CONTACT_METHODS_MAX = env.int("CONTACT_METHODS_MAX", default=20)
CONTACT_TESTS_PER_PERSON = env.int("CONTACT_TESTS_PER_PERSON", default=5)
CONTACT_TESTS_PER_ADDRESS = env.int("CONTACT_TESTS_PER_ADDRESS", default=3)

# Celery: Redis when REDIS_URL (or CELERY_BROKER_URL) is set, else an embedded filesystem broker.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("in", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "in"),
        "data_folder_out": str(CELERY_BROKER_DIR / "in"),
        "data_folder_processed": str(CELERY_BROKER_DIR / "processed"),
        # Exchange tables (remote control, broadcast); kombu's default is ./control.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# All periodic work, in one place. Later features add their entries here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "portal.notifications.tasks.sweep_notifications",
    "schedule": 15.0,
}
CELERY_BEAT_SCHEDULE["oncall-shift-reminders"] = {
    "task": "oncall.tasks.send_shift_reminders",
    "schedule": 60.0,
}
# Hourly, but the message's dedup key is per ISO week: managers get one a week.
CELERY_BEAT_SCHEDULE["oncall-coverage-warnings"] = {
    "task": "oncall.tasks.send_coverage_warnings",
    "schedule": 3600.0,
}
# Swaps: open requests expire when their shift starts; requesters are reminded 3 d, 1 d and
# 12 h before; shifts during time off are flagged. Dedup keys make every tick safe to repeat.
CELERY_BEAT_SCHEDULE["swaps-expire"] = {
    "task": "oncall.swaps.tasks.expire_swap_requests",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["swaps-reminders"] = {
    "task": "oncall.swaps.tasks.send_swap_reminders",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["swaps-time-off-clashes"] = {
    "task": "oncall.swaps.tasks.flag_time_off_clashes",
    "schedule": 3600.0,
}
# The escalation engine's tick: due steps fire within 2 s even if their kick task was lost.
CELERY_BEAT_SCHEDULE["incidents-escalation-tick"] = {
    "task": "incidents.tasks.escalation_tick",
    "schedule": 2.0,
}
# Webhooks store payloads in the inbox and ring a doorbell task; this drains whatever a lost
# doorbell (broker down) left waiting, within 2 s.
CELERY_BEAT_SCHEDULE["incidents-inbox-drain"] = {
    "task": "incidents.tasks.inbox_drain",
    "schedule": 2.0,
}
CELERY_BEAT_SCHEDULE["incidents-heartbeats"] = {
    "task": "incidents.tasks.check_heartbeats",
    "schedule": 30.0,
}
# Hourly follow-up nags; their dedup keys are per recipient's day, so at most one a day.
CELERY_BEAT_SCHEDULE["postmortems-due-reminders"] = {
    "task": "incidents.postmortems.tasks.send_postmortem_reminders",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["action-items-overdue-reminders"] = {
    "task": "incidents.postmortems.tasks.send_action_item_reminders",
    "schedule": 3600.0,
}
# Hourly: managers whose local time is Monday from 08:00 (late ticks catch up until the
# end of that Monday) get last week's on-call review
# (dedup key per team, ISO week and manager).
CELERY_BEAT_SCHEDULE["reports-weekly-review"] = {
    "task": "portal.reports.tasks.send_weekly_reviews",
    "schedule": 3600.0,
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# LOG_FORMAT=json: one JSON object per line (portal/logging.py), for log collectors.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
# Celery workers then log through the same JSON handler instead of their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.logging.JsonFormatter"},
    },
    "filters": {"redact_tokens": {"()": "portal.logging.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# REST API (portal/api/): token or session auth, JSON only, rate limits per user.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttling.UserThrottle",
        "portal.api.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="1200/min"),
        "anon": env.str("API_RATE_ANON", default="60/min"),
    },
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Runwell API",
    "DESCRIPTION": (
        "What a person does in the Runwell portal (postmortems read-only, reports on the pages), "
        "for scripts, Terraform and chat bots. "
        "Authenticate with a personal token from "
        "[your profile page](/profile/#api-tokens-section): `Authorization: Token <token>`. "
        "Permissions are exactly those of the pages. "
        "Text anywhere in a request (values and object keys) must not contain NUL characters "
        "or unpaired surrogates: such a request is a 400 naming the field."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.plain_times",
        "portal.api.schema.text_not_blank",
    ],
    # The docs page's assets come from drf-spectacular-sidecar, served by the project.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "portal.people.models.Membership.Role",
        "WeekdayEnum": "portal.people.models.WEEKDAYS",
        "SeverityEnum": "incidents.models.Severity",
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "AlertStatusEnum": "incidents.models.Alert.Status",
        "IntegrationKindEnum": "incidents.models.Integration.Kind",
        "IncidentEventKindEnum": "incidents.models.IncidentEvent.Kind",
        "SwapStatusEnum": "oncall.swaps.models.SwapRequest.Status",
        "SwapKindEnum": "oncall.swaps.models.SwapRequest.Kind",
        "PostmortemStatusEnum": "incidents.postmortems.models.Postmortem.Status",
        "ActionItemStatusEnum": "incidents.postmortems.models.ActionItem.Status",
        "ActionItemPriorityEnum": "incidents.postmortems.models.ActionItem.Priority",
    },
}
# GET /metrics (portal/metrics.py) answers a request with "Authorization: Bearer
# <METRICS_TOKEN>", or from an address in METRICS_ALLOW_IPS (addresses or networks, matched
# against REMOTE_ADDR). With neither set it is open under DEBUG and closed (403) in production.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOW_IPS = [
        ipaddress.ip_network(entry.strip(), strict=False)
        for entry in env.list("METRICS_ALLOW_IPS", default=[])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(
        f"METRICS_ALLOW_IPS: {exc} (addresses or networks such as 10.0.0.0/8)."
    ) from exc
METRICS_OPEN_WITHOUT_CREDENTIALS = DEBUG

# Limits on what people do by hand (portal/throttle.py), counted in the cache (Redis in
# production). "N/<window>", the window a number of s, min, h or d ("5/10min", "20/15min");
# "off" lifts the limit.
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|min|h|hour|d|day)\s*$")
_RATE_SECONDS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def _rate(name: str, default: str) -> tuple[int, int] | None:
    text = env.str(name, default=default)
    if text.strip().lower() == "off":
        return None
    match = _RATE.match(text)
    if not match or int(match[1]) < 1 or match[2] == "0":
        raise ImproperlyConfigured(
            f"{name} must read like 5/10min (a count, then a window in s, min, h or d), or off."
        )
    return int(match[1]), int(match[2] or 1) * _RATE_SECONDS[match[3]]


# Declaring incidents (pages and API together), per person: each declaration pages a team.
INCIDENT_DECLARE_RATE = _rate("INCIDENT_DECLARE_RATE", "5/10min")
# Failed sign-ins (/login/ and /admin/login/): per account and per client address. Over
# either, sign-in answers 429 until the window ends, even with the right password.
SIGNIN_RATE_ACCOUNT = _rate("SIGNIN_RATE_ACCOUNT", "5/15min")
SIGNIN_RATE_ADDRESS = _rate("SIGNIN_RATE_ADDRESS", "20/15min")
# Behind a proxy every request comes from the proxy's address: with this set, the address of
# sign-in limits is the last X-Forwarded-For entry (the one the proxy appended).
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
