"""Project-wide pages: the dashboard and the health check."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.catalog.selectors import services_owned_by
from portal.panels import dashboard_panels
from portal.people.selectors import teams_of
from portal.people.signin import SignInForm


@login_required
def dashboard(request):
    teams = teams_of(user=request.user).order_by("name")
    context = {
        "teams": teams,
        "services": services_owned_by(user=request.user)[:20],
        "panels": dashboard_panels(request),
    }
    return render(request, "dashboard.html", context)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to answer means the database is down for us
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker_state() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_DIR / "in"
        return "ok" if folder.is_dir() else "error: broker folder missing"
    try:
        from portal.celery import app

        # The URL from settings (not the app's cached copy), so what is checked is what is set.
        with app.connection_for_write(url) as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


@require_GET
@never_cache
def healthz(request):
    database = _database_state()
    broker = _broker_state()
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            "database": database,
            "broker": broker,
        },
        status=status,
    )


class LoginView(auth_views.LoginView):
    """Django's login page, answering 400 (not 200) when the credentials are refused, and
    429 while the account or address has failed too often (``portal/people/signin.py``)."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
