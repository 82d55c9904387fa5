"""The project's URLs plus ``POST /bench/bare/``: the stack's limit for alert ingestion.

The bare view does what any webhook must (read and parse the JSON body) and one INSERT, under
the same gunicorn, middleware and database as ``/hooks/alertmanager/<token>/``.
"""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BARE_TABLE = "bench_bare_alert"
CREATE_BARE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
    "(id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL)"
)


@csrf_exempt
@require_POST
def bare(request):
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (body, received_at) VALUES (%s, now())",
            [json.dumps(body)],
        )
    return JsonResponse({"status": "accepted"}, status=202)


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("portal.urls")),
]
