"""Rota pages: access for every role, the calendar, editing from the page and bad input."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oncall import calendar, services
from oncall.models import Layer, LayerParticipant, Override, Schedule
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "member", "manager", "staff"]


@pytest.fixture
def people(team, manager, member, outsider, staff):
    return {"manager": manager, "member": member, "outsider": outsider, "staff": staff}


def login(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    return client


@pytest.fixture
def layer(schedule, manager, member, now):
    return factories.LayerFactory(
        schedule=schedule,
        name="Daily",
        shift_unit="days",
        rotation_start=(now - timedelta(days=30)).date(),
        handoff_time=time(0),
        participants=[manager, member],
    )


def is_login_redirect(response):
    return response.status_code == 302 and response.url.startswith(reverse("login"))


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------

READ_PAGES = {
    "my_shifts": lambda s, lyr: reverse("oncall:my_shifts"),
    "preferences": lambda s, lyr: reverse("oncall:preferences"),
    "team_schedules": lambda s, lyr: reverse("oncall:team_schedules", args=[s.team.slug]),
    "schedule_detail": lambda s, lyr: reverse("oncall:schedule_detail", args=[s.pk]),
}
MANAGER_PAGES = {
    "schedule_create": lambda s, lyr: reverse("oncall:schedule_create", args=[s.team.slug]),
    "schedule_edit": lambda s, lyr: reverse("oncall:schedule_edit", args=[s.pk]),
    "layer_create": lambda s, lyr: reverse("oncall:layer_create", args=[s.pk]),
    "layer_edit": lambda s, lyr: reverse("oncall:layer_edit", args=[s.pk, lyr.pk]),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(READ_PAGES))
def test_read_pages(client, people, schedule, layer, role, page):
    response = login(client, people, role).get(READ_PAGES[page](schedule, layer))
    if role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(MANAGER_PAGES))
def test_manager_pages(client, people, schedule, layer, role, page):
    response = login(client, people, role).get(MANAGER_PAGES[page](schedule, layer))
    expected = {"anonymous": 302, "outsider": 403, "member": 403, "manager": 200, "staff": 200}
    assert response.status_code == expected[role]
    if role == "anonymous":
        assert is_login_redirect(response)


def _manager_posts(schedule, layer, member):
    return {
        "schedule_token": (reverse("oncall:schedule_token", args=[schedule.pk]), {}),
        "layer_move": (
            reverse("oncall:layer_move", args=[schedule.pk, layer.pk]),
            {"direction": "up"},
        ),
        "participant_add": (
            reverse("oncall:participant_add", args=[schedule.pk, layer.pk]),
            {"username": member.username},
        ),
        "participant_move": (
            reverse("oncall:participant_move", args=[schedule.pk, layer.pk, member.pk]),
            {"direction": "up"},
        ),
        "participant_remove": (
            reverse("oncall:participant_remove", args=[schedule.pk, layer.pk, member.pk]),
            {},
        ),
        "layer_remove": (reverse("oncall:layer_remove", args=[schedule.pk, layer.pk]), {}),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "action",
    [
        "schedule_token",
        "layer_move",
        "participant_add",
        "participant_move",
        "participant_remove",
        "layer_remove",
    ],
)
def test_manager_actions(client, people, team, schedule, layer, role, action):
    newcomer = factories.MembershipFactory(team=team).user
    factories.LayerFactory(schedule=schedule, position=layer.position + 1, participants=[newcomer])
    url, data = _manager_posts(
        schedule, layer, newcomer if action == "participant_add" else people["member"]
    )[action]
    versions = Layer.objects.count()
    token = schedule.ical_token_hash
    response = login(client, people, role).post(url, data)
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ("outsider", "member"):
        assert response.status_code == 403
    elif action == "schedule_token":  # the new address, shown once
        assert response.status_code == 200 and b'id="feed-address"' in response.content
    else:
        assert response.status_code == 302 and response.url == schedule.get_absolute_url()
    changed = (
        Layer.objects.count() != versions
        or Layer.objects.filter(valid_until__isnull=False).exists()
    )
    schedule.refresh_from_db()
    changed = changed or schedule.ical_token_hash != token
    assert changed == (role in ("manager", "staff"))


def test_unknown_schedule_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("oncall:schedule_detail", args=[999999])).status_code == 404
    assert client.get(reverse("oncall:team_schedules", args=["nope"])).status_code == 404


def test_get_is_refused_for_actions(client, manager, schedule):
    client.force_login(manager)
    assert client.get(reverse("oncall:schedule_token", args=[schedule.pk])).status_code == 405


# --------------------------------------------------------------------------------------------
# Overrides from the page
# --------------------------------------------------------------------------------------------


def _override_data(user, hours_from_now=1, length=4):
    start = timezone.localtime() + timedelta(hours=hours_from_now)
    end = start + timedelta(hours=length)
    return {
        "user": user.pk,
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": end.strftime("%Y-%m-%dT%H:%M"),
        "reason": "Cover",
    }


@pytest.mark.parametrize("role", ROLES)
def test_override_for_oneself(client, people, schedule, role):
    url = reverse("oncall:override_create", args=[schedule.pk])
    data = _override_data(people.get(role) or people["member"])
    response = login(client, people, role).post(url, data)
    # Staff may manage the rota but are not in the team, so cannot be put on call.
    expected = {"anonymous": 302, "outsider": 403, "member": 302, "manager": 302, "staff": 400}
    assert response.status_code == expected[role]
    if role == "anonymous":
        assert is_login_redirect(response)
    assert Override.objects.exists() == (role in ("member", "manager"))


def test_staff_put_a_member_on_call(client, people, schedule):
    client.force_login(people["staff"])
    url = reverse("oncall:override_create", args=[schedule.pk])
    assert client.post(url, _override_data(people["member"])).status_code == 302
    assert Override.objects.get().user == people["member"]


def test_member_cannot_put_someone_else_on_call(client, people, schedule):
    client.force_login(people["member"])
    response = client.post(
        reverse("oncall:override_create", args=[schedule.pk]), _override_data(people["manager"])
    )
    assert response.status_code == 400
    assert "only for yourself" in response.content.decode()
    assert not Override.objects.exists()


def test_manager_puts_a_member_on_call_with_htmx(client, people, schedule):
    client.force_login(people["manager"])
    response = client.post(
        reverse("oncall:override_create", args=[schedule.pk]),
        _override_data(people["member"]),
        headers={"HX-Request": "true", "HX-Target": "overrides"},
    )
    assert response.status_code == 200
    assert "rotaChanged" in response.headers["HX-Trigger"]
    assert 'id="overrides"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert Override.objects.get().user == people["member"]


def test_override_ending_before_it_starts_is_refused(client, people, schedule):
    client.force_login(people["manager"])
    data = _override_data(people["member"])
    data["end"], data["start"] = data["start"], data["end"]
    response = client.post(reverse("oncall:override_create", args=[schedule.pk]), data)
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert not Override.objects.exists()


@pytest.mark.parametrize(
    "role,whose,expected",
    [
        ("member", "member", 302),
        ("member", "manager", 403),
        ("manager", "member", 302),
        ("outsider", "member", 403),
        ("staff", "member", 302),
    ],
)
def test_override_remove(client, people, schedule, role, whose, expected, now):
    override = factories.OverrideFactory(
        schedule=schedule,
        user=people[whose],
        created_by=people["manager"],
        start=now + timedelta(hours=2),
        end=now + timedelta(hours=4),
    )
    client.force_login(people[role])
    response = client.post(reverse("oncall:override_remove", args=[schedule.pk, override.pk]))
    assert response.status_code == expected
    assert Override.objects.filter(pk=override.pk).exists() == (expected != 302)


# --------------------------------------------------------------------------------------------
# Schedules and layers from the page, and bad input
# --------------------------------------------------------------------------------------------


def test_manager_creates_a_schedule_and_a_layer(client, team, manager, member):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:schedule_create", args=[team.slug]),
        {"name": "Primary", "time_zone": "Europe/London", "description": ""},
    )
    schedule = Schedule.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("oncall:layer_create", args=[schedule.pk])
    response = client.post(
        response.url,
        {
            "name": "Weekdays",
            "participants": f"{member.username}, {manager.username}",
            "shift_length": 1,
            "shift_unit": "weeks",
            "rotation_start": "2024-06-03",
            "handoff_time": "09:00",
            "active_days": ["0", "1", "2", "3", "4"],
            "active_start": "09:00",
            "active_end": "18:00",
        },
    )
    assert response.status_code == 302
    layer = Layer.objects.get()
    assert layer.active_days == [0, 1, 2, 3, 4] and layer.time_zone == "Europe/London"
    assert list(layer.participants.values_list("user", flat=True)) == [member.pk, manager.pk]
    page = client.get(schedule.get_absolute_url()).content.decode()
    assert "Weekdays" in page and "Mon, Tue, Wed, Thu, Fri 09:00–18:00" in page


def _layer_post(**overrides):
    data = {
        "name": "L",
        "participants": "",
        "shift_length": 1,
        "shift_unit": "weeks",
        "rotation_start": "2024-06-03",
        "handoff_time": "09:00",
    }
    data.update(overrides)
    return data


def test_layer_with_zero_shift_length_is_refused(client, manager, schedule):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:layer_create", args=[schedule.pk]),
        _layer_post(participants=manager.username, shift_length=0),
    )
    assert response.status_code == 400
    assert "A shift must be at least 1 long." in response.content.decode()
    assert not Layer.objects.exists()


def test_layer_with_an_outsider_is_refused(client, manager, outsider, schedule):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:layer_create", args=[schedule.pk]),
        _layer_post(participants=f"{manager.username} {outsider.username}"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f"{outsider.username} is not a member of" in body
    assert not Layer.objects.exists() and not LayerParticipant.objects.exists()


def test_layer_with_an_unknown_user_is_refused(client, manager, schedule):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:layer_create", args=[schedule.pk]), _layer_post(participants="ghost")
    )
    assert response.status_code == 400
    assert "No active user called ghost" in response.content.decode()


def test_schedule_with_an_unknown_zone_is_refused(client, manager, team):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:schedule_create", args=[team.slug]),
        {"name": "X", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 400
    assert "Unknown time zone Mars/Olympus_Mons" in response.content.decode()
    assert not Schedule.objects.exists()


def test_layer_edit_applies_from_now(client, manager, member, schedule, layer):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:layer_edit", args=[schedule.pk, layer.pk]),
        _layer_post(
            name="Daily",
            participants=member.username,
            shift_unit="days",
            handoff_time="00:00",
            rotation_start=layer.rotation_start.isoformat(),
        ),
    )
    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.valid_until is not None
    current = Layer.objects.get(lineage=layer.lineage, valid_until__isnull=True)
    assert list(current.participants.values_list("user", flat=True)) == [member.pk]


def test_participant_add_outsider_with_htmx_shows_the_error(
    client, manager, outsider, schedule, layer
):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:participant_add", args=[schedule.pk, layer.pk]),
        {"username": outsider.username},
        headers={"HX-Request": "true", "HX-Target": "layers"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="layers"' in body and "not a member" in body and "<html" not in body
    assert Layer.objects.count() == 1


def test_participant_add_outsider_without_htmx_is_400_on_the_page(
    client, manager, outsider, schedule, layer
):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:participant_add", args=[schedule.pk, layer.pk]),
        {"username": outsider.username},
    )
    assert response.status_code == 400
    assert "not a member" in response.content.decode()
    assert Layer.objects.count() == 1


def test_a_stale_layer_id_edits_the_current_version(client, manager, member, team, schedule, layer):
    client.force_login(manager)
    newcomer = factories.MembershipFactory(team=team).user
    url = reverse("oncall:participant_add", args=[schedule.pk, layer.pk])
    assert client.post(url, {"username": newcomer.username}).status_code == 302
    third = factories.MembershipFactory(team=team).user
    assert client.post(url, {"username": third.username}).status_code == 302  # old id again
    current = Layer.objects.get(lineage=layer.lineage, valid_until__isnull=True)
    assert current.participants.count() == 4


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


@pytest.fixture
def london_rota(team, manager, member, now):
    """Business hours only (so the nights are gaps), in London; the manager views from NY."""
    manager.profile.time_zone = "America/New_York"
    manager.profile.save()
    schedule = factories.ScheduleFactory(team=team, name="London", time_zone="Europe/London")
    factories.LayerFactory(
        schedule=schedule,
        time_zone="Europe/London",
        shift_unit="days",
        rotation_start=(now - timedelta(days=10)).date(),
        active_start=time(9),
        active_end=time(17),
        participants=[manager, member],
    )
    return schedule


def test_calendar_shows_layers_final_gaps_and_my_shifts(client, manager, london_rota):
    client.force_login(manager)
    body = client.get(london_rota.get_absolute_url() + "?view=week").content.decode()
    assert "Final schedule" in body
    assert 'class="bar gap"' in body and "Nobody on call" in body
    assert 'class="bar mine"' in body
    assert "(Europe/London)" in body  # the schedule's zone on hover
    assert "America/New_York" in body  # the viewer's zone labels the days
    assert 'class="cal-now"' in body  # today's line
    assert body.count('class="cal-day') == 7


def test_calendar_names_each_shift_without_hover(client, manager, member, london_rota):
    client.force_login(manager)
    body = client.get(london_rota.get_absolute_url() + "?view=month").content.decode()
    days = body.count('class="cal-day')
    assert body.count('class="cal-wd"') == days  # weekday initials over the day numbers
    # Every bar carries its full name, first name and initials, and its title for screen
    # readers; the list under the calendar names every shift with its times.
    name = manager.profile.name
    first, initials = calendar.short_names(name)
    assert f'<span class="bar-first" aria-hidden="true">{first}</span>' in body
    assert f'<span class="bar-initials" aria-hidden="true">{initials}</span>' in body
    assert '<span class="cal-sr">' in body
    listing = body.split('class="cal-list"')[1]
    assert name in listing and member.profile.name in listing and "Nobody on call" in listing
    # The legend explains every mark a bar can carry.
    legend = body.split('class="muted cal-legend"')[1].split("</p>")[0]
    for mark in ("you", "nobody on call", "override", "covered by a swap", "during time off"):
        assert mark in legend


@pytest.mark.parametrize(
    "name, short",
    [("Alice Martin", ("Alice", "AM")), ("Ana de la Cruz", ("Ana", "AC")), ("bob", ("bob", "B"))],
)
def test_calendar_short_names(name, short):
    assert calendar.short_names(name) == short


@pytest.mark.parametrize("view,days", [("week", 7), ("2weeks", 14), ("month", None)])
def test_calendar_views_and_htmx_paging(client, manager, london_rota, view, days):
    client.force_login(manager)
    response = client.get(
        london_rota.get_absolute_url(),
        {"view": view, "start": "2024-02-14"},
        headers={"HX-Request": "true", "HX-Target": "calendar"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="calendar"' in body
    count = body.count('class="cal-day')
    if view == "month":
        assert count == 29  # February 2024
        assert "start=2024-03-01" in body and "start=2024-01-01" in body
    else:
        assert count == days
        first = date(2024, 2, 12)  # the Monday of that week
        assert f"start={(first + timedelta(days=days)).isoformat()}" in body
        assert f"start={(first - timedelta(days=days)).isoformat()}" in body
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


def test_calendar_shows_bad_parameters_over_the_default_week(client, manager, london_rota):
    client.force_login(manager)
    response = client.get(london_rota.get_absolute_url(), {"view": "year", "start": "nope"})
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="cal-day') == 7
    assert "start: Enter a valid date." in body and "view: Select a valid choice." in body


def _grow(team, schedule, size, now):
    people = [factories.MembershipFactory(team=team).user for _ in range(size)]
    for i in range(size):
        factories.LayerFactory(
            schedule=schedule,
            position=i,
            shift_unit="hours",
            shift_length=6,
            rotation_start=(now - timedelta(days=3)).date(),
            participants=people[i:] + people[:i],
        )
        factories.OverrideFactory(
            schedule=schedule,
            user=people[i],
            start=now + timedelta(hours=i),
            end=now + timedelta(hours=i + 2),
        )


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("manager_view", [True, False])
def test_schedule_page_takes_the_same_queries_for_one_or_many(
    client, team, manager, member, now, manager_view
):
    client.force_login(manager if manager_view else member)
    small = factories.ScheduleFactory(team=team, name="Small")
    big = factories.ScheduleFactory(team=team, name="Big")
    _grow(team, small, 1, now)
    _grow(team, big, 10, now)
    for view in ("week", "month"):
        one = _count_queries(client, small.get_absolute_url() + f"?view={view}")
        many = _count_queries(client, big.get_absolute_url() + f"?view={view}")
        assert one == many <= 25


def test_team_and_my_pages_take_the_same_queries_for_one_or_many(client, team, manager, now):
    client.force_login(manager)
    url_team = reverse("oncall:team_schedules", args=[team.slug])
    url_me = reverse("oncall:my_shifts")
    schedule = factories.ScheduleFactory(team=team)
    _grow(team, schedule, 1, now)
    factories.OverrideFactory(
        schedule=schedule,
        user=manager,
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=3),
    )
    one = (_count_queries(client, url_team), _count_queries(client, url_me))
    for _ in range(6):
        _grow(team, factories.ScheduleFactory(team=team), 4, now)
    factories.OverrideFactory(
        schedule=factories.ScheduleFactory(team=team),
        user=manager,
        start=now + timedelta(hours=5),
        end=now + timedelta(hours=6),
    )
    many = (_count_queries(client, url_team), _count_queries(client, url_me))
    assert one == many


# --------------------------------------------------------------------------------------------
# My shifts and preferences
# --------------------------------------------------------------------------------------------


def test_my_shifts_lists_upcoming_shifts_with_totals(client, team, manager, member, now):
    schedule = factories.ScheduleFactory(team=team, name="Support")
    start = now + timedelta(days=2)
    factories.OverrideFactory(
        schedule=schedule, user=member, start=start, end=start + timedelta(hours=5)
    )
    factories.OverrideFactory(
        schedule=schedule,
        user=manager,
        start=start + timedelta(hours=6),
        end=start + timedelta(hours=9),
    )
    client.force_login(member)
    body = client.get(reverse("oncall:my_shifts")).content.decode()
    assert "Support" in body and "5.0 hours" in body and "1 shift" in body


def test_my_shifts_shows_the_real_start_of_a_shift_already_running(client, team, member, now):
    schedule = factories.ScheduleFactory(team=team, name="Support")
    start = now - timedelta(hours=5)
    factories.OverrideFactory(
        schedule=schedule, user=member, start=start, end=now + timedelta(hours=3)
    )
    client.force_login(member)
    body = client.get(reverse("oncall:my_shifts")).content.decode()
    assert "on call now" in body
    assert "started</small> <time datetime=" in body and _when(start) in body
    assert _when(now) not in body  # not cut at the window's start
    # The whole shift's hours, though only about 3 of them fall in the window.
    assert '<td data-label="Hours">8.0</td>' in body


def test_my_shifts_shows_the_real_end_of_a_shift_crossing_the_horizon(client, team, member, now):
    schedule = factories.ScheduleFactory(team=team, name="Support")
    start, end = now + timedelta(days=29), now + timedelta(days=31)
    factories.OverrideFactory(schedule=schedule, user=member, start=start, end=end)
    client.force_login(member)
    body = client.get(reverse("oncall:my_shifts") + "?days=30").content.decode()
    assert _when(start) in body and _when(end) in body
    assert "continues after" not in body


def test_my_shifts_marks_a_shift_running_past_what_it_loads(client, team, member, now):
    schedule = factories.ScheduleFactory(team=team, name="Support")
    factories.OverrideFactory(
        schedule=schedule,
        user=member,
        start=now - timedelta(days=40),
        end=now + timedelta(days=100),
    )
    client.force_login(member)
    body = client.get(reverse("oncall:my_shifts") + "?days=7").content.decode()
    assert "started before</small>" in body and "continues after</small>" in body
    assert "168.0 hours" in body  # the totals count the 7 days only


def test_preferences_save_and_refuse_bad_input(client, member):
    client.force_login(member)
    url = reverse("oncall:preferences")
    response = client.post(url, {"reminder_lead_minutes": 0})
    assert response.status_code == 400
    assert "at least 5 minutes" in response.content.decode()
    response = client.post(url, {"reminder_lead_minutes": 30, "day_before": "on"})
    assert response.status_code == 302
    member.rota_preferences.refresh_from_db()
    assert member.rota_preferences.reminder_lead_minutes == 30
    assert member.rota_preferences.day_before is True


def _shown_feed_path(response) -> str:
    match = re.search(
        r'id="feed-address" value="https?://[^/]+(/oncall/feeds/[^"]+)"', response.content.decode()
    )
    assert match, response.content.decode()
    return match[1]


def test_profile_page_makes_the_feed_address_and_shows_it_once(client, member):
    """Feed tokens are stored hashed: the address is shown when made, never again."""
    client.force_login(member)
    body = client.get(reverse("people:profile")).content.decode()
    assert "Shift reminders and calendar" in body and "Make my calendar address" in body
    made = client.post(reverse("oncall:preferences_token"))
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    first = _shown_feed_path(made)
    assert client.get(first).status_code == 200
    token = first.rstrip("/").rsplit("/", 1)[-1]
    for page in (reverse("people:profile"), reverse("oncall:preferences")):
        body = client.get(page).content.decode()
        assert token not in body and "New address" in body
    second = _shown_feed_path(client.post(reverse("oncall:preferences_token")))
    assert second != first
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_schedule_page_never_shows_the_feed_address(client, people, schedule):
    token = services.schedule_token_regenerate(schedule=schedule)
    for role in ("member", "manager"):
        body = login(client, people, role).get(schedule.get_absolute_url()).content.decode()
        assert "calendar feed address" in body and token not in body
    made = login(client, people, "manager").post(
        reverse("oncall:schedule_token", args=[schedule.pk])
    )
    path = _shown_feed_path(made)
    assert client.get(path).status_code == 200
    assert client.get(reverse("oncall:feed", args=[token])).status_code == 404


# --------------------------------------------------------------------------------------------
# Coverage: the schedule page's "Coverage, next 30 days" card and the team page's badge
# --------------------------------------------------------------------------------------------


def _when(moment) -> str:
    """A moment as the pages print it (``D j M H:i``, the viewer's zone: UTC here)."""
    moment = moment.astimezone(UTC)
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def _weekends(start, end):
    """Saturday 00:00 to Monday 00:00 UTC, cut to ``[start, end)``."""
    saturday = start.date() - timedelta(days=start.weekday()) + timedelta(days=5)
    moment = datetime.combine(saturday, time(0), UTC)
    found = []
    while moment < end:
        lo, hi = max(moment, start), min(moment + timedelta(days=2), end)
        if lo < hi:
            found.append((lo, hi))
        moment += timedelta(days=7)
    return found


@pytest.fixture
def coverage_schedules(team, alice, bob, carol, daily_layer, now):
    """``Primary`` (the daily rota: somebody on call at every moment) and ``Weekdays``: a
    Monday-to-Friday layer in UTC, so every weekend is a gap."""
    weekdays = factories.ScheduleFactory(team=team, name="Weekdays")
    factories.LayerFactory(
        schedule=weekdays,
        shift_unit="days",
        rotation_start=(now - timedelta(days=30)).date(),
        handoff_time=time(0),
        active_days=[0, 1, 2, 3, 4],
        participants=[alice, bob],
    )
    return daily_layer.schedule, weekdays


def _card(body: str) -> str:
    start = body.index('id="coverage"')
    return body[start : body.index("</section>", start)]


def test_schedule_page_lists_the_gaps_of_the_next_30_days(client, member, coverage_schedules):
    _, weekdays = coverage_schedules
    client.force_login(member)
    now = timezone.now()
    response = client.get(weekdays.get_absolute_url())
    expected = _weekends(now, now + timedelta(days=30))
    assert 4 <= len(expected) <= 5
    assert [lo.date() for lo, _ in response.context["coverage_gaps"]] == [
        lo.date() for lo, _ in expected
    ]
    card = _card(response.content.decode())
    assert "Coverage, next 30 days" in card
    assert f"{len(expected)} gaps with nobody on call:" in card
    assert card.count('class="gap-item"') == len(expected)
    for lo, hi in expected:
        if lo != now and hi != now + timedelta(days=30):  # not cut at the window's edges
            assert f'<li class="gap-item">{_when(lo)} – {_when(hi)}</li>' in card
    assert "Somebody is on call at every moment" not in card


def test_schedule_page_without_gaps_says_covered(client, member, coverage_schedules):
    primary, _ = coverage_schedules
    client.force_login(member)
    response = client.get(primary.get_absolute_url())
    assert response.context["coverage_gaps"] == []
    card = _card(response.content.decode())
    assert "Somebody is on call at every moment of the next 30 days." in card
    assert "gap" not in card.replace("Coverage", "")


def test_schedule_page_counts_one_gap_in_the_singular(client, member, team, alice, now):
    schedule = factories.ScheduleFactory(team=team, name="Overrides only")
    hole = (now + timedelta(days=10), now + timedelta(days=11))
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=now - timedelta(hours=1), end=hole[0]
    )
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=hole[1], end=now + timedelta(days=31)
    )
    client.force_login(member)
    card = _card(client.get(schedule.get_absolute_url()).content.decode())
    assert "1 gap with nobody on call:" in card
    assert f'<li class="gap-item">{_when(hole[0])} – {_when(hole[1])}</li>' in card


def test_team_page_shows_a_gap_badge_only_where_there_are_gaps(
    client, member, team, coverage_schedules
):
    primary, weekdays = coverage_schedules
    client.force_login(member)
    now = timezone.now()
    response = client.get(reverse("oncall:team_schedules", args=[team.slug]))
    body = response.content.decode()
    assert "Coverage (next 30 days)" in body
    rows = {
        name: next(row for row in body.split("<tr")[1:] if f">{name}</a>" in row)
        for name in ("Primary", "Weekdays")
    }
    expected = _weekends(now, now + timedelta(days=30))
    first = expected[0][0]
    assert f'<span class="badge danger">{len(expected)} gaps</span>' in rows["Weekdays"]
    assert f"first {first:%a} {first.day} {first:%b}" in rows["Weekdays"]
    assert "Covered" not in rows["Weekdays"]
    assert '<span class="ok">Covered</span>' in rows["Primary"]
    assert "badge danger" not in rows["Primary"]


def test_calendar_list_shows_the_real_start_and_end_of_shifts_cut_by_the_window(
    client, team, manager, member
):
    """Weekly handoffs on Mondays at 09:00 UTC: the week of Mon 12 Feb 2024 (00:00 – 00:00)
    cuts member's shift (from Mon 5 Feb 09:00) and manager's (to Mon 19 Feb 09:00). The bars
    stop at the edges; the list under the calendar gives the shifts' real times."""
    manager.profile.time_zone = "UTC"
    manager.profile.save()
    schedule = factories.ScheduleFactory(team=team, time_zone="UTC")
    factories.LayerFactory(
        schedule=schedule, rotation_start=date(2024, 1, 1), participants=[manager, member]
    )
    client.force_login(manager)
    body = client.get(schedule.get_absolute_url(), {"view": "week", "start": "2024-02-14"})
    listing = body.content.decode().split('class="cal-list"')[1].split("</details>")[0]
    whens = [" ".join(w.split("</span>")[0].split()) for w in listing.split("cal-list-when")[1:]]
    assert whens == [
        '">Mon 5 Feb 09:00 <small class="muted">(before this view)</small> – Mon 12 Feb 09:00',
        '">Mon 12 Feb 09:00 – Mon 19 Feb 09:00 <small class="muted">(after this view)</small>',
    ]
    assert "Mon 12 Feb 00:00" not in listing and "Mon 19 Feb 00:00" not in listing
