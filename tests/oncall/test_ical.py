"""iCal feeds: valid RFC 5545 (parsed by ``icalendar``), stable UIDs, the window, tokens."""

from datetime import UTC, date, time, timedelta

import icalendar
import pytest
from django.urls import reverse

from oncall import ical, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota(schedule, alice, bob, now):
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=(now - timedelta(days=400)).date(),
        handoff_time=time(0),
        participants=[alice, bob],
    )
    return schedule


def events(body: bytes):
    cal = icalendar.Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    return list(cal.walk("VEVENT"))


def test_schedule_feed_is_public_behind_its_token(client, rota, now):
    token = services.schedule_token_regenerate(schedule=rota)
    response = client.get(reverse("oncall:feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response.content)
    start, end = ical.feed_window(now)
    # Daily shifts: a month back and six months ahead, each whole.
    assert 31 + 184 <= len(found) <= 31 + 184 + 1
    assert min(e["DTSTART"].dt for e in found) <= start + timedelta(days=1)
    assert max(e["DTEND"].dt for e in found) >= end - timedelta(days=1)
    assert all(e["DTEND"].dt - e["DTSTART"].dt == timedelta(days=1) for e in found)
    assert {str(e["SUMMARY"]) for e in found} == {"On call: alice", "On call: bob"}
    assert len({str(e["UID"]) for e in found}) == len(found)
    for e in found:
        assert e["DTSTAMP"] and e["DTSTART"].dt.tzinfo is not None


def test_uids_are_stable_between_fetches(rota, now):
    first = {
        str(e["UID"]): e["DTSTART"].dt for e in events(ical.schedule_feed(schedule=rota, now=now))
    }
    later = now + timedelta(hours=5)
    second = {
        str(e["UID"]): e["DTSTART"].dt for e in events(ical.schedule_feed(schedule=rota, now=later))
    }
    common = set(first) & set(second)
    assert len(common) >= len(first) - 2
    assert all(first[uid] == second[uid] for uid in common)


def test_personal_feed_has_my_shifts_across_schedules(client, team, rota, alice, now):
    other = factories.ScheduleFactory(team=team, name="Escalation")
    start = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    factories.OverrideFactory(
        schedule=other, user=alice, start=start, end=start + timedelta(hours=2)
    )
    _, token = services.preferences_token_regenerate(user=alice)
    response = client.get(reverse("oncall:feed", args=[token]))
    assert response.status_code == 200
    found = events(response.content)
    summaries = [str(e["SUMMARY"]) for e in found]
    assert "On call: Escalation" in summaries and "On call: Primary" in summaries
    assert any(e["DTSTART"].dt == start.astimezone(UTC) for e in found)
    # Only alice's days of the alternating rotation (and her override).
    assert len(found) < 31 + 184


def test_regenerated_tokens_stop_the_old_feed(client, rota, alice):
    old = services.schedule_token_regenerate(schedule=rota)
    new = services.schedule_token_regenerate(schedule=rota)
    assert client.get(reverse("oncall:feed", args=[old])).status_code == 404
    assert client.get(reverse("oncall:feed", args=[new])).status_code == 200
    _, mine = services.preferences_token_regenerate(user=alice)
    _, mine_now = services.preferences_token_regenerate(user=alice)
    assert client.get(reverse("oncall:feed", args=[mine])).status_code == 404
    assert client.get(reverse("oncall:feed", args=[mine_now])).status_code == 200


def test_the_stored_hash_does_not_open_a_feed(client, rota, alice):
    """Whoever reads the database gets hashes, which are not feed addresses."""
    services.schedule_token_regenerate(schedule=rota)
    services.preferences_token_regenerate(user=alice)
    rota.refresh_from_db()
    stored = [rota.ical_token_hash, alice.rota_preferences.ical_token_hash]
    assert all(stored)
    for digest in stored:
        assert client.get(reverse("oncall:feed", args=[digest])).status_code == 404


def test_unknown_token_is_404(client, db):
    assert client.get(reverse("oncall:feed", args=["guess"])).status_code == 404


def test_feed_answers_head_and_refuses_post(client, rota):
    url = reverse("oncall:feed", args=[services.schedule_token_regenerate(schedule=rota)])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_feed_of_an_inactive_user_is_404(client, alice):
    _, token = services.preferences_token_regenerate(user=alice)
    alice.is_active = False
    alice.save()
    assert client.get(reverse("oncall:feed", args=[token])).status_code == 404


def test_feed_queries_are_bounded(client, team, schedule, django_assert_max_num_queries, now):
    people = [factories.MembershipFactory(team=team).user for _ in range(8)]
    for i in range(5):
        factories.LayerFactory(
            schedule=schedule,
            position=i,
            shift_unit="days",
            rotation_start=date(2024, 1, 1),
            participants=people,
        )
        factories.OverrideFactory(
            schedule=schedule,
            user=people[i],
            start=now + timedelta(days=i),
            end=now + timedelta(days=i, hours=3),
        )
    token = services.schedule_token_regenerate(schedule=schedule)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("oncall:feed", args=[token])).status_code == 200
    _, token = services.preferences_token_regenerate(user=people[0])
    with django_assert_max_num_queries(6):
        assert client.get(reverse("oncall:feed", args=[token])).status_code == 200
