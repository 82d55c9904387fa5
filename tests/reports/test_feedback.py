"""Service feedback, the team's service ranking and the weekly review, against the story of
conftest.py."""

from datetime import UTC

import pytest

from portal.notifications.models import Kind, Message, Notification
from portal.reports import noise, services, weekly
from tests import factories
from tests.reports.conftest import END, START, utc


def test_service_feedback(story):
    api = noise.service_feedback(service=story.api, start=START, end=END)
    assert (api.alerts, api.incidents) == (6, 3)
    # ann: Sat 23:00 (three pages in 59 s), Sun 02:30, Mon 12:00; raj: three on Tue.
    assert (api.pages, api.off_hours_pages, api.sleep_pages) == (6, 3, 2)
    assert api.noisiest == [("HighLatency", 4), ("Backup failed", 1), ("DiskFull", 1)]
    assert (api.tta_median, api.ttr_median) == (360, 2400)
    assert (api.resolved, api.not_actionable) == (3, 1)
    assert api.not_actionable_share == pytest.approx(1 / 3)
    assert [i.title for i in api.open_items] == ["Tune HighLatency"]
    assert api.open_items_count == 1

    db = noise.service_feedback(service=story.db, start=START, end=END)
    assert (db.alerts, db.incidents, db.pages, db.off_hours_pages, db.sleep_pages) == (
        4,
        2,
        2,
        2,
        1,
    )
    assert (db.tta_median, db.ttr_median, db.not_actionable_share) == (600, 2100, 0.5)

    quiet = noise.service_feedback(service=story.quiet, start=START, end=END)
    assert (quiet.alerts, quiet.incidents, quiet.pages, quiet.not_actionable_share) == (
        0,
        0,
        0,
        None,
    )


def test_team_service_ranking(story, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        ranking = noise.team_service_ranking(team=story.team, start=START, end=END)
    assert [(n.service.slug, n.pages, n.off_hours_pages, n.alerts) for n in ranking] == [
        ("api", 6, 3, 6),
        ("db", 2, 2, 4),
        ("quiet", 0, 0, 0),
    ]
    assert ranking[0].noisiest == [("HighLatency", 4), ("Backup failed", 1), ("DiskFull", 1)]


def test_weekly_review(story):
    review = weekly.weekly_review(team=story.team, year=2024, week=13, zone=UTC)
    assert (review.start, review.end) == (utc(2024, 3, 25), utc(2024, 4, 1))
    assert [(h.at, h.to_user.username) for h in review.load.handovers] == [
        (utc(2024, 3, 30, 9), "ann"),
        (utc(2024, 3, 30, 18), "bea"),
        (utc(2024, 3, 30, 22), "ann"),
        (utc(2024, 3, 31, 8), "raj"),
    ]
    # The incident of Fri 29 Mar and I1; raj's Friday page was in his working hours.
    assert len(review.incidents) == 2
    load = review.load
    assert (load.interruptions, load.off_hours_interruptions, load.sleep_interruptions) == (3, 2, 2)
    assert review.noisiest == [("HighLatency", 3)]
    assert [i.title for i in review.overdue_items] == ["Tune HighLatency"]
    assert [pm.incident_id for pm in review.postmortems_open] == [story.incidents[0].pk]


def test_weekly_review_goes_to_managers_on_monday_morning_their_time(story):
    ny_team = factories.TeamFactory(slug="ny")
    factories.MembershipFactory(
        team=ny_team, role="manager", user__username="nyboss", user__time_zone="America/New_York"
    )
    factories.ContactMethodFactory(user=story.boss)
    monday_0830_london = utc(2024, 4, 1, 7, 30)
    assert services.weekly_reviews_send(now=monday_0830_london) == 1
    message = Message.objects.get(kind=Kind.REPORT, user=story.boss)
    assert message.dedup_key == f"weekly:ops:2024-W13:{story.boss.pk}"
    assert message.url.endswith("/reports/teams/ops/weekly/2024/13/")
    assert "2 incident(s), 3 interruption(s): 2 off-hours, 2 during sleep." in message.body
    assert Notification.objects.filter(message=message).count() == 2  # both of boss's methods

    # The hourly tick running again within the hour, or later that Monday, sends nothing more.
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 7, 59)) == 0
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 8, 30)) == 0
    assert Message.objects.filter(kind=Kind.REPORT).count() == 1
    # Not yet Monday 08:00 in New York at 09:30 London (04:30 there).
    assert not Message.objects.filter(user__username="nyboss").exists()
    # New York's manager gets theirs at 08:00 there.
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 12, 15)) == 1
    assert Message.objects.filter(kind=Kind.REPORT, user__username="nyboss").count() == 1


def test_weekly_review_catches_up_later_that_monday(story):
    """Beat was down at 08:00–09:00 London: the 13:00 tick sends the review, once."""
    monday_1300_london = utc(2024, 4, 1, 12)
    assert services.weekly_reviews_send(now=monday_1300_london) == 1
    message = Message.objects.get(kind=Kind.REPORT)
    assert message.user == story.boss
    assert message.dedup_key == f"weekly:ops:2024-W13:{story.boss.pk}"
    assert message.subject == "Weekly on-call review: Ops, week 13 of 2024"
    # Running twice sends once; so does a tick at the end of that Monday.
    assert services.weekly_reviews_send(now=monday_1300_london) == 0
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 22, 59)) == 0
    assert Message.objects.filter(kind=Kind.REPORT).count() == 1


@pytest.mark.parametrize(
    "now",
    [
        utc(2024, 3, 31, 12),  # Sunday 13:00 London (BST)
        utc(2024, 3, 31, 22, 59),  # Sunday 23:59 London
        utc(2024, 4, 1, 6, 59),  # Monday 07:59 London: not yet
        utc(2024, 4, 1, 23, 0),  # Tuesday 00:00 London: too late for week 13
        utc(2024, 4, 3, 7, 30),  # Wednesday 08:30 London
    ],
    ids=["sunday", "sunday-late", "monday-early", "tuesday", "wednesday"],
)
def test_weekly_review_is_only_sent_from_monday_0800_to_the_end_of_monday(story, now):
    assert services.weekly_reviews_send(now=now) == 0
    assert not Message.objects.filter(kind=Kind.REPORT).exists()


def test_a_later_tick_does_not_rebuild_a_review_already_sent(story, monkeypatch):
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 7, 30)) == 1

    def rebuild(**kwargs):
        raise AssertionError("the review was already sent")

    monkeypatch.setattr(weekly, "weekly_review", rebuild)
    for later in (utc(2024, 4, 1, 7, 59), utc(2024, 4, 1, 12), utc(2024, 4, 1, 22)):
        assert services.weekly_reviews_send(now=later) == 0


def test_weekly_review_goes_to_every_manager_of_the_team_once(story):
    second = factories.MembershipFactory(
        team=story.team, role="manager", user__username="deputy", user__time_zone="Europe/London"
    ).user
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 9)) == 2
    assert set(Message.objects.filter(kind=Kind.REPORT).values_list("user", flat=True)) == {
        story.boss.pk,
        second.pk,
    }
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 10)) == 0


def test_weekly_task_runs_the_service(story, clock):
    from portal.reports.tasks import send_weekly_reviews

    clock.freeze(utc(2024, 4, 1, 7, 30))  # Monday 08:30 London
    assert send_weekly_reviews.run() == 1
    message = Message.objects.get(kind=Kind.REPORT)
    assert (message.user, message.dedup_key) == (
        story.boss,
        f"weekly:ops:2024-W13:{story.boss.pk}",
    )
    assert message.url.endswith("/reports/teams/ops/weekly/2024/13/")
    assert send_weekly_reviews.run() == 0
    assert Message.objects.filter(kind=Kind.REPORT).count() == 1


def _postmortems_due(story):
    """Resolved SEV1/SEV2 incidents of Ops without a postmortem (of week 12, before the story)
    and the ones that are not due."""

    def resolved(team, severity, day):
        return factories.IncidentFactory(
            team=team,
            severity=severity,
            status="resolved",
            triggered_at=utc(2024, 3, day, 10),
            resolved_at=utc(2024, 3, day, 11),
        )

    sev2 = resolved(story.team, 2, 19)
    sev1 = resolved(story.team, 1, 20)
    factories.PostmortemFactory(incident=resolved(story.team, 1, 21))  # has its postmortem
    resolved(story.team, 3, 22)  # SEV3: no postmortem needed
    resolved(story.other_team, 1, 22)  # another team's
    factories.IncidentFactory(team=story.team, severity=1, triggered_at=utc(2024, 3, 22))  # open
    return [sev1, sev2]  # most recently resolved first


def test_weekly_review_lists_postmortems_due(story):
    due = _postmortems_due(story)
    review = weekly.weekly_review(team=story.team, year=2024, week=13, zone=UTC)
    assert [i.pk for i in review.postmortems_due] == [i.pk for i in due]
    # And the managers' message says so.
    assert services.weekly_reviews_send(now=utc(2024, 4, 1, 7, 30)) == 1
    assert "2 postmortem(s) due." in Message.objects.get(kind=Kind.REPORT).body
