"""The one way to pin time in tests: the ``clock`` fixture (see ``tests/conftest.py``).

It moves the whole process's idea of now with time-machine (``datetime.now()``,
``timezone.now()``, ``time.time()``, ``date.today()``), so code under test and factories agree.
Services that take ``now=`` are still called with it; the clock is for everything that reads
the time itself (factories, views, Celery tasks run in-process).

    def test_x(clock):
        clock.freeze("2027-03-14T07:30:00Z")   # time stands still
        clock.advance(minutes=5)               # and moves when told
        clock.start("2028-02-29T23:50:00Z")    # or ticks on from an instant

A test can also pin its date with a marker, frozen for the whole test (fixtures included):

    @pytest.mark.clock("2026-12-07T09:00:00Z")
    def test_y(clock): ...
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine


def _instant(when: datetime | str) -> datetime:
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"pin the clock to an aware instant, not {when!r}")
    return when.astimezone(UTC)


class Clock:
    """Controls the process clock for one test; every travel ends with the test."""

    def __init__(self) -> None:
        self._travel: time_machine.travel | None = None
        self._shifter = None

    def _go(self, when: datetime | str, *, tick: bool) -> datetime:
        instant = _instant(when)
        self.stop()
        self._travel = time_machine.travel(instant, tick=tick)
        self._shifter = self._travel.start()
        return instant

    def freeze(self, when: datetime | str) -> datetime:
        """Stop the clock at ``when`` (an aware datetime or ISO text); returns it in UTC."""
        return self._go(when, tick=False)

    def start(self, when: datetime | str) -> datetime:
        """Put the clock at ``when`` and let it run on from there."""
        return self._go(when, tick=True)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the pinned clock forward by ``delta`` (or ``advance(minutes=5)``)."""
        if self._shifter is None:
            raise RuntimeError("pin the clock with freeze() or start() before advancing it")
        self._shifter.shift(delta if delta is not None else timedelta(**parts))
        return self.now

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()
            self._travel = None
            self._shifter = None
