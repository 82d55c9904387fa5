"""The clock fixture pins the whole process's time, fixtures included."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone


def test_freeze_and_advance(clock):
    clock.freeze("2027-03-14T07:30:00Z")
    assert timezone.now() == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert date.today() == date(2027, 3, 14)
    assert abs(time.time() - datetime(2027, 3, 14, 7, 30, tzinfo=UTC).timestamp()) < 1
    clock.advance(minutes=5)
    assert timezone.now() == datetime(2027, 3, 14, 7, 35, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    assert clock.now == datetime(2027, 3, 15, 7, 35, tzinfo=UTC)


def test_start_ticks_on(clock):
    clock.start("2028-02-29T23:50:00Z")
    first = timezone.now()
    assert first >= datetime(2028, 2, 29, 23, 50, tzinfo=UTC)
    assert first < datetime(2028, 2, 29, 23, 51, tzinfo=UTC)


def test_naive_instants_are_refused(clock):
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(datetime(2027, 1, 1))


@pytest.fixture
def built_at():
    return timezone.now()


@pytest.mark.clock("2027-12-31T23:40:00Z")
def test_marker_pins_fixtures_too(built_at):
    assert built_at == datetime(2027, 12, 31, 23, 40, tzinfo=UTC)
    assert timezone.now() == built_at
