"""Project-wide pieces: the health check, the dashboard, error pages, demo data and sign-in
(settings, read by fresh processes, are in tests/reliability/test_production_settings.py)."""

import socket
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.db.utils import ConnectionHandler
from django.urls import reverse

from portal import panels
from portal.catalog.models import Service, ServiceTransfer, Tag
from portal.people.models import Membership, Profile, Team
from tests import factories

User = get_user_model()


# --- /healthz -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def unreachable_database(db):
    """For this thread only, the default connection points at a database that cannot answer:
    a closed port for PostgreSQL, a file in a missing folder for SQLite. The real connection
    (and the test's transaction on it) is put back afterwards."""
    real = connections["default"]
    broken = dict(real.settings_dict)
    if real.vendor == "postgresql":
        broken |= {"HOST": "127.0.0.1", "PORT": str(_closed_port())}
        broken["OPTIONS"] = {**broken.get("OPTIONS", {}), "connect_timeout": 2}
    else:
        broken["NAME"] = "/nonexistent-runwell-folder/db.sqlite3"
    handler = ConnectionHandler({"default": broken})
    connections["default"] = handler["default"]
    try:
        yield
    finally:
        handler["default"].close()
        connections["default"] = real


def test_healthz_is_503_when_the_database_does_not_answer(client, unreachable_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    # A real failed connection, not pytest-django's "database access not allowed".
    assert response.json() == {
        "status": "unavailable",
        "database": "error: OperationalError",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_healthz_reports_a_dead_broker_but_stays_up(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200  # the web can still serve pages
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("error: ")


# --- dashboard and panels -------------------------------------------------------------------


def sample_panel(request, obj):
    """A panel such as other apps contribute (see portal/panels.py)."""
    if obj is not None and obj.slug == "hidden":
        return None
    return panels.Panel(title=f"Sample panel for {obj or 'home'}", template="_nav_links.html")


@pytest.mark.django_db
def test_dashboard_shows_my_teams_services_and_panels(client, team, member, monkeypatch):
    factories.ServiceFactory(team=team, name="Ledger")
    factories.ServiceFactory(name="Not ours")
    factories.TeamFactory(name="Other team")
    monkeypatch.setattr(panels, "DASHBOARD_PANELS", ["tests.test_portal.sample_panel"])
    client.force_login(member)
    html = client.get(reverse("dashboard")).content.decode()
    assert team.name in html and "Ledger" in html
    assert "Not ours" not in html and "Other team" not in html
    assert "Sample panel for home" in html


@pytest.mark.django_db
def test_team_and_service_pages_show_their_panels(client, user, monkeypatch):
    monkeypatch.setattr(panels, "TEAM_PANELS", ["tests.test_portal.sample_panel"])
    monkeypatch.setattr(panels, "SERVICE_PANELS", ["tests.test_portal.sample_panel"])
    shown = factories.ServiceFactory(name="Ledger", slug="ledger")
    hidden = factories.TeamFactory(name="Hidden", slug="hidden")
    client.force_login(user)
    assert "Sample panel for Ledger" in client.get(shown.get_absolute_url()).content.decode()
    team_page = client.get(shown.team.get_absolute_url()).content.decode()
    assert f"Sample panel for {shown.team.name}" in team_page
    assert "Sample panel" not in client.get(hidden.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_base_page_lets_htmx_swap_400_answers(client, user):
    """Bad input answers 400 with the form and its messages, too many tries 429 with the
    reason; htmx must show them."""
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    assert '{"code":"(400|409|422|429)","swap":true,"error":false}' in html
    assert "/static/django_htmx/htmx-2" in html  # served by us, not a CDN


@pytest.mark.django_db
def test_footer_names_the_viewers_time_zone(client, user):
    """Not an abbreviation of today's offset ("GMT"), which is wrong for summer dates."""
    user.profile.time_zone = "Europe/London"
    user.profile.save(update_fields=["time_zone"])
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "times shown in Europe/London" in html


# --- error pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_forbidden_page_is_styled_and_says_why(client, settings, member, service):
    settings.DEBUG = False  # Django shows 403.html only when DEBUG is off
    client.force_login(member)
    response = client.get(reverse("catalog:service_edit", args=[service.slug]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "/static/css/runwell.css" in html and 'name="viewport"' in html
    assert "You cannot open this page" in html
    assert "Only the owning team&#x27;s managers can change this service." in html
    assert 'href="/"' in html  # a way back


@pytest.mark.django_db
def test_unknown_page_is_a_styled_404(client, settings, user):
    settings.DEBUG = False
    client.force_login(user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "/static/css/runwell.css" in html and 'aria-label="Main"' in html
    assert "There is no such page" in html and "<code>/no-such-page/</code>" in html


def test_server_error_page_needs_no_request_context_or_database(rf, settings):
    """Django renders 500.html with an empty context; it must not touch the database."""
    from django.views.defaults import server_error

    settings.DEBUG = False
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "/static/css/runwell.css" in html and "Something went wrong" in html
    assert 'href="/"' in html


# --- seed_demo ------------------------------------------------------------------------------


def _world():
    return (
        sorted(Team.objects.values_list("slug", flat=True)),
        sorted(User.objects.values_list("username", "is_staff")),
        sorted(Membership.objects.values_list("team__slug", "user__username", "role")),
        sorted(Service.objects.values_list("slug", "team__slug", "tier")),
        sorted(Service.dependencies.through.objects.values_list("from_service", "to_service")),
        sorted(Service.tags.through.objects.values_list("service", "tag")),
        Profile.objects.count(),
        Tag.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_small_is_idempotent_and_logs_in_demo(client):
    out = StringIO()
    call_command("seed_demo", "--scale", "small", stdout=out)
    assert "Demo data ready" in out.getvalue()
    first = _world()
    call_command("seed_demo", scale="small", stdout=StringIO())
    assert _world() == first

    assert (Team.objects.count(), Service.objects.count()) == (3, 8)
    assert Profile.objects.count() == User.objects.count() == 10
    demo = User.objects.get(username="demo")
    assert dict(demo.memberships.values_list("team__slug", "role")) == {
        "payments": "manager",
        "platform": "member",
    }
    assert demo.profile.display_name == "Dana Demo"
    assert User.objects.get(username="admin").is_superuser
    ledger = Service.objects.get(slug="ledger")
    assert {s.slug for s in ledger.dependents.all()} == {"payments-api", "refunds"}
    assert client.login(username="demo", password="demo")


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_demo_large_sizes_progress_and_idempotence():
    out = StringIO()
    call_command("seed_demo", scale="large", stdout=out)
    assert "4/4" in out.getvalue()  # the progress bar finished
    first = _world()
    call_command("seed_demo", scale="large", stdout=StringIO())
    assert _world() == first

    assert Team.objects.count() == 100
    assert User.objects.exclude(username="admin").count() == 1000
    assert Service.objects.count() == 300
    assert Profile.objects.count() == User.objects.count()
    # Every team has a manager, every service an owner.
    assert not Team.objects.exclude(memberships__role="manager").exists()
    assert not ServiceTransfer.objects.exists()


# --- sign-in --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_refuses_bad_credentials_with_400_and_a_message(client, user):
    response = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 400
    assert b"Please enter a correct username and password" in response.content
    response = client.post("/login/", {"username": user.username, "password": "pw"})
    assert response.status_code == 302
