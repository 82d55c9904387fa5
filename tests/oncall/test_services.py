"""Rota writes: layers (versioned from now), participants, overrides, preferences."""

import hashlib
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from oncall import layer_services, selectors, services
from oncall.models import Layer, LayerParticipant, Override, RotaPreferences, Schedule
from tests import factories
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

START = date(2024, 6, 1)  # a Saturday; daily handoffs at 00:00 UTC
EDIT = utc(2024, 6, 5, 12)  # shift 4 (06-05): with alice, bob, carol that is bob


def final(schedule, start, end):
    return [
        (s.start, s.end, s.user.username)
        for s in selectors.schedule_final(schedule=schedule, start=start, end=end)
    ]


def holders(schedule, first_day, days):
    """Who is on call at 18:00 UTC on each of ``days`` days from ``first_day``."""
    result = []
    for i in range(days):
        at = utc(first_day.year, first_day.month, first_day.day, 18) + timedelta(days=i)
        shift = selectors.oncall_at(schedule=schedule, at=at)
        result.append(shift.user.username if shift else None)
    return result


@pytest.fixture
def layer(schedule, alice, bob, carol):
    return layer_services.layer_create(
        schedule=schedule,
        name="Daily",
        rotation_start=START,
        handoff_time=time(0),
        shift_length=1,
        shift_unit="days",
        participants=[alice, bob, carol],
        now=utc(2024, 5, 1),
    )


class TestLayerCreate:
    def test_new_layer_goes_on_top_and_applies_from_now(self, schedule, alice, bob):
        now = utc(2024, 6, 5, 12)
        low = layer_services.layer_create(
            schedule=schedule, name="Low", rotation_start=START, participants=[alice], now=now
        )
        high = layer_services.layer_create(
            schedule=schedule, name="High", rotation_start=START, participants=[bob], now=now
        )
        assert high.position == low.position + 1
        assert high.valid_from == now and high.time_zone == schedule.time_zone
        # Nothing before the layer existed; the higher layer wins after.
        assert final(schedule, utc(2024, 6, 4), utc(2024, 6, 6)) == [(now, utc(2024, 6, 6), "bob")]

    @pytest.mark.parametrize("length", [0, -1])
    def test_shift_length_below_one_is_refused(self, schedule, alice, length):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_create(
                schedule=schedule,
                name="L",
                rotation_start=START,
                shift_length=length,
                participants=[alice],
            )
        assert "shift_length" in err.value.message_dict
        assert not Layer.objects.exists() and not LayerParticipant.objects.exists()

    def test_participant_outside_the_team_is_refused(self, schedule, alice, outsider):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_create(
                schedule=schedule, name="L", rotation_start=START, participants=[alice, outsider]
            )
        message = " ".join(err.value.message_dict["participants"])
        assert outsider.username in message and "not a member" in message
        assert not Layer.objects.exists() and not LayerParticipant.objects.exists()

    def test_a_person_twice_is_refused(self, schedule, alice):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_create(
                schedule=schedule, name="L", rotation_start=START, participants=[alice, alice]
            )
        assert "twice" in " ".join(err.value.message_dict["participants"])

    def test_half_an_active_window_is_refused(self, schedule, alice):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_create(
                schedule=schedule,
                name="L",
                rotation_start=START,
                participants=[alice],
                active_start=time(9),
            )
        assert "active_end" in err.value.message_dict
        assert not Layer.objects.exists()

    def test_end_date_before_start_date_is_refused(self, schedule, alice):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_create(
                schedule=schedule,
                name="L",
                rotation_start=START,
                participants=[alice],
                start_date=date(2024, 7, 1),
                end_date=date(2024, 6, 1),
            )
        assert "end_date" in err.value.message_dict

    def test_database_refuses_zero_shift_length(self, schedule):
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.LayerFactory(schedule=schedule, shift_length=0)


class TestLayerEdit:
    def test_editing_never_changes_the_past(self, schedule, layer, carol):
        before = final(schedule, utc(2024, 6, 1), EDIT)
        new = layer_services.layer_update(
            layer=layer, shift_length=2, name="Every other day", now=EDIT
        )
        assert final(schedule, utc(2024, 6, 1), EDIT) == before
        layer.refresh_from_db()
        assert layer.valid_until == EDIT
        assert new.valid_from == EDIT and new.lineage == layer.lineage and new.pk != layer.pk
        assert Layer.objects.filter(lineage=layer.lineage, valid_until__isnull=True).get() == new

    def test_the_holder_keeps_the_shift_when_the_order_changes(
        self, schedule, layer, alice, bob, carol
    ):
        assert holders(schedule, date(2024, 6, 1), 5) == ["alice", "bob", "carol", "alice", "bob"]
        layer_services.layer_update(layer=layer, participants=[carol, bob, alice], now=EDIT)
        # bob keeps today; then the new order after bob: alice, carol, bob.
        assert holders(schedule, date(2024, 6, 5), 4) == ["bob", "alice", "carol", "bob"]
        assert holders(schedule, date(2024, 6, 1), 4) == ["alice", "bob", "carol", "alice"]

    def test_removing_the_holder_hands_the_rest_of_the_shift_to_the_next(
        self, schedule, layer, alice, carol
    ):
        layer_services.layer_participant_remove(
            layer=layer, user=layer.participants.get(position=1).user, now=EDIT
        )
        assert final(schedule, utc(2024, 6, 5), utc(2024, 6, 7)) == [
            (utc(2024, 6, 5), EDIT, "bob"),  # the morning stays what it was
            (EDIT, utc(2024, 6, 6), "carol"),
            (utc(2024, 6, 6), utc(2024, 6, 7), "alice"),
        ]

    def test_removing_someone_else_leaves_the_holder_on_call(self, schedule, layer, alice):
        layer_services.layer_participant_remove(layer=layer, user=alice, now=EDIT)
        assert holders(schedule, date(2024, 6, 5), 3) == ["bob", "carol", "bob"]

    def test_adding_a_participant_keeps_the_holder(self, schedule, team, layer):
        dave = factories.MembershipFactory(team=team, user__username="dave").user
        layer_services.layer_participant_add(layer=layer, user=dave, now=EDIT)
        assert holders(schedule, date(2024, 6, 5), 5) == ["bob", "carol", "dave", "alice", "bob"]

    def test_moving_a_participant(self, schedule, layer, alice):
        layer_services.layer_participant_move(layer=layer, user=alice, up=False, now=EDIT)
        # [bob, alice, carol]: bob keeps today, then alice, carol.
        assert holders(schedule, date(2024, 6, 5), 4) == ["bob", "alice", "carol", "bob"]

    def test_adding_an_outsider_is_refused_and_nothing_written(self, layer, outsider):
        versions = Layer.objects.count()
        with pytest.raises(ValidationError) as err:
            layer_services.layer_participant_add(layer=layer, user=outsider, now=EDIT)
        assert "not a member" in " ".join(err.value.messages)
        assert Layer.objects.count() == versions
        layer.refresh_from_db()
        assert layer.valid_until is None

    def test_a_member_who_left_can_stay_until_removed(self, schedule, team, layer, alice):
        alice.memberships.filter(team=team).delete()
        new = layer_services.layer_update(layer=layer, shift_length=2, now=EDIT)
        assert alice.pk in new.participants.values_list("user_id", flat=True)

    def test_an_edit_that_changes_nothing_makes_no_version(self, layer):
        same = layer_services.layer_update(layer=layer, name=layer.name, now=EDIT)
        assert same.pk == layer.pk and Layer.objects.count() == 1

    def test_an_edit_at_the_start_of_a_version_replaces_it(self, schedule, alice, bob):
        created = layer_services.layer_create(
            schedule=schedule, name="L", rotation_start=START, participants=[alice], now=EDIT
        )
        edited = layer_services.layer_update(layer=created, participants=[alice, bob], now=EDIT)
        assert edited.pk == created.pk and Layer.objects.count() == 1
        assert list(edited.participants.values_list("user__username", flat=True)) == [
            "alice",
            "bob",
        ]

    def test_invalid_edit_is_refused_and_nothing_written(self, layer):
        with pytest.raises(ValidationError) as err:
            layer_services.layer_update(layer=layer, shift_length=0, now=EDIT)
        assert "shift_length" in err.value.message_dict
        assert Layer.objects.count() == 1
        layer.refresh_from_db()
        assert layer.valid_until is None

    def test_editing_a_stale_version_edits_the_current_one(self, layer, alice):
        layer_services.layer_update(layer=layer, shift_length=2, now=EDIT)
        newest = layer_services.layer_participant_remove(
            layer=layer, user=alice, now=EDIT + timedelta(hours=1)
        )
        assert newest.shift_length == 2
        assert Layer.objects.filter(lineage=layer.lineage).count() == 3

    def test_remove_stops_the_layer_from_now(self, schedule, layer):
        before = final(schedule, utc(2024, 6, 1), EDIT)
        layer_services.layer_remove(layer=layer, now=EDIT)
        assert final(schedule, utc(2024, 6, 1), EDIT) == before
        assert final(schedule, EDIT, utc(2024, 7, 1)) == []
        with pytest.raises(ValidationError):
            layer_services.layer_update(layer=layer, name="x", now=EDIT + timedelta(hours=1))

    def test_move_changes_which_layer_wins_from_now(self, schedule, layer, alice):
        top = layer_services.layer_create(
            schedule=schedule,
            name="Top",
            rotation_start=START,
            participants=[alice],
            now=utc(2024, 5, 1),
        )
        assert {s[2] for s in final(schedule, utc(2024, 6, 2), utc(2024, 6, 3))} == {"alice"}
        layer_services.layer_move(layer=top, up=False, now=EDIT)
        # Before the move "Top" won everywhere; after it the daily rotation does.
        assert holders(schedule, date(2024, 6, 2), 1) == ["alice"]
        assert holders(schedule, date(2024, 6, 6), 1) == ["carol"]
        current = selectors.current_layers(schedule=schedule)
        assert [x.name for x in current] == ["Top", "Daily"]

    def test_schedule_zone_change_applies_from_now(self, schedule, layer):
        before = final(schedule, utc(2024, 6, 1), EDIT)
        services.schedule_update(
            schedule=schedule, name=schedule.name, time_zone="Asia/Tokyo", now=EDIT
        )
        assert final(schedule, utc(2024, 6, 1), EDIT) == before
        after = final(schedule, utc(2024, 6, 6), utc(2024, 6, 7))
        assert after[0][1] == utc(2024, 6, 6, 15)  # midnight in Tokyo
        current = Layer.objects.get(lineage=layer.lineage, valid_until__isnull=True)
        assert current.time_zone == "Asia/Tokyo"


class TestSchedules:
    def test_unknown_zone_is_refused(self, team):
        with pytest.raises(ValidationError) as err:
            services.schedule_create(team=team, name="X", time_zone="Mars/Olympus_Mons")
        assert "Unknown time zone" in " ".join(err.value.message_dict["time_zone"])
        assert not Schedule.objects.exists()

    def test_names_are_unique_per_team(self, team, schedule):
        with pytest.raises(ValidationError) as err:
            services.schedule_create(team=team, name=schedule.name.upper())
        assert "already has" in " ".join(err.value.message_dict["name"])

    def test_token_regenerates_and_only_its_hash_is_stored(self, schedule):
        assert schedule.ical_token_hash is None  # no address until one is made
        old = services.schedule_token_regenerate(schedule=schedule)
        new = services.schedule_token_regenerate(schedule=schedule)
        schedule.refresh_from_db()
        assert new != old and len(new) >= 40
        assert schedule.ical_token_hash == hashlib.sha256(new.encode()).hexdigest()
        assert not Schedule.objects.filter(ical_token_hash__in=[old, new]).exists()


class TestOverrides:
    def test_override_beats_every_layer(self, schedule, layer, carol):
        services.override_create(
            schedule=schedule,
            user=carol,
            start=utc(2024, 6, 5, 8),
            end=utc(2024, 6, 5, 10),
            reason="Dentist",
            now=utc(2024, 6, 1),
        )
        assert final(schedule, utc(2024, 6, 5), utc(2024, 6, 6)) == [
            (utc(2024, 6, 5), utc(2024, 6, 5, 8), "bob"),
            (utc(2024, 6, 5, 8), utc(2024, 6, 5, 10), "carol"),
            (utc(2024, 6, 5, 10), utc(2024, 6, 6), "bob"),
        ]

    def test_end_before_start_is_refused(self, schedule, alice):
        with pytest.raises(ValidationError) as err:
            services.override_create(
                schedule=schedule,
                user=alice,
                start=utc(2024, 6, 5, 10),
                end=utc(2024, 6, 5, 8),
                now=utc(2024, 6, 1),
            )
        assert "end" in err.value.message_dict
        assert not Override.objects.exists()

    def test_outsider_is_refused(self, schedule, outsider):
        with pytest.raises(ValidationError) as err:
            services.override_create(
                schedule=schedule,
                user=outsider,
                start=utc(2024, 6, 5, 8),
                end=utc(2024, 6, 5, 10),
                now=utc(2024, 6, 1),
            )
        assert "not a member" in " ".join(err.value.message_dict["user"])
        assert not Override.objects.exists()

    def test_an_override_already_over_is_refused(self, schedule, alice):
        with pytest.raises(ValidationError):
            services.override_create(
                schedule=schedule,
                user=alice,
                start=utc(2024, 6, 5, 8),
                end=utc(2024, 6, 5, 10),
                now=utc(2024, 6, 6),
            )
        assert not Override.objects.exists()

    def test_database_refuses_end_before_start(self, schedule, alice):
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.OverrideFactory(
                schedule=schedule, user=alice, start=utc(2024, 6, 2), end=utc(2024, 6, 1)
            )

    def test_remove_cancels_a_future_override_and_ends_a_running_one(self, schedule, alice):
        future = factories.OverrideFactory(
            schedule=schedule, user=alice, start=utc(2024, 6, 5, 8), end=utc(2024, 6, 5, 10)
        )
        running = factories.OverrideFactory(
            schedule=schedule, user=alice, start=utc(2024, 6, 1), end=utc(2024, 6, 9)
        )
        past = factories.OverrideFactory(
            schedule=schedule, user=alice, start=utc(2024, 5, 1), end=utc(2024, 5, 2)
        )
        now = utc(2024, 6, 3)
        assert services.override_remove(override=future, now=now) is None
        assert not Override.objects.filter(pk=future.pk).exists()
        assert services.override_remove(override=running, now=now).end == now
        with pytest.raises(ValidationError):
            services.override_remove(override=past, now=now)
        assert Override.objects.filter(pk=past.pk).exists()


class TestPreferences:
    def test_defaults_and_update(self, alice):
        prefs = services.preferences_for(user=alice)
        assert (prefs.reminder_lead_minutes, prefs.day_before) == (60, False)
        services.preferences_update(user=alice, reminder_lead_minutes=30, day_before=True)
        prefs.refresh_from_db()
        assert (prefs.reminder_lead_minutes, prefs.day_before) == (30, True)

    def test_lead_time_out_of_range_is_refused(self, alice):
        with pytest.raises(ValidationError):
            services.preferences_update(user=alice, reminder_lead_minutes=0, day_before=False)
        assert not RotaPreferences.objects.filter(reminder_lead_minutes=0).exists()

    def test_feed_token_regenerates_and_only_its_hash_is_stored(self, alice):
        assert services.preferences_for(user=alice).ical_token_hash is None
        _, old = services.preferences_token_regenerate(user=alice)
        prefs, new = services.preferences_token_regenerate(user=alice)
        assert new != old
        assert prefs.ical_token_hash == hashlib.sha256(new.encode()).hexdigest()
        assert not RotaPreferences.objects.filter(ical_token_hash__in=[old, new]).exists()
