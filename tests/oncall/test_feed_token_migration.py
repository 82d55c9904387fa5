"""Migration 0002: feed tokens that were stored as they are become their hashes, and every
address already handed out keeps working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from tests import factories

BEFORE = [("oncall", "0001_initial")]
AFTER = [("oncall", "0002_hash_ical_feed_tokens")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.postgres
def test_existing_plain_tokens_are_hashed_and_keep_working(transactional_db, client):
    team = factories.TeamFactory()
    user = factories.UserFactory()
    old_apps = _migrate(BEFORE)
    try:
        OldSchedule = old_apps.get_model("oncall", "Schedule")
        OldPrefs = old_apps.get_model("oncall", "RotaPreferences")
        schedule = OldSchedule.objects.create(team_id=team.pk, name="Primary", ical_token="s" * 43)
        OldPrefs.objects.create(user_id=user.pk, ical_token="p" * 43)
    finally:
        new_apps = _migrate(AFTER)
    Schedule = new_apps.get_model("oncall", "Schedule")
    stored = Schedule.objects.get(pk=schedule.pk).ical_token_hash
    assert len(stored) == 64 and stored != "s" * 43
    assert client.get(reverse("oncall:feed", args=["s" * 43])).status_code == 200
    assert client.get(reverse("oncall:feed", args=["p" * 43])).status_code == 200
    assert client.get(reverse("oncall:feed", args=[stored])).status_code == 404
