"""The cache-based limiter behind declaration and sign-in limits (portal/throttle.py)."""

import socket

import pytest

from portal import throttle

T = 1_800_000_000.0  # a window start for 60 s and 600 s windows


def test_counts_up_to_the_limit_then_refuses_until_the_window_ends():
    verdicts = [throttle.hit("t", "ann", (3, 60), now=T + 10).retry_after for _ in range(5)]
    assert verdicts == [None, None, None, 50, 50]
    assert throttle.hit("t", "bob", (3, 60), now=T + 10).retry_after is None  # per ident
    assert throttle.hit("u", "ann", (3, 60), now=T + 10).retry_after is None  # per scope
    assert throttle.hit("t", "ann", (3, 60), now=T + 60).retry_after is None  # next window


def test_refused_and_undone_attempts_do_not_count():
    first = throttle.hit("t", "ann", (2, 60), now=T)
    first.undo()
    first.undo()  # twice is harmless
    assert not throttle.hit("t", "ann", (2, 60), now=T).refused
    assert not throttle.hit("t", "ann", (2, 60), now=T).refused
    for _ in range(3):  # refused ones are taken back at once
        assert throttle.hit("t", "ann", (2, 60), now=T).refused
    throttle.hit("t", "ann", (2, 60), now=T).undo()
    assert throttle.hit("t", "ann", (2, 60), now=T).refused


def test_no_rate_means_no_limit():
    assert all(not throttle.hit("t", "ann", None, now=T).refused for _ in range(100))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cache_lets_people_through(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    attempt = throttle.hit("declare", 1, (1, 60), now=T)
    assert not attempt.refused and not throttle.hit("declare", 1, (1, 60), now=T).refused
    attempt.undo()
    assert "not applied: the cache is unreachable" in caplog.text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")],
)
def test_wait_text(seconds, text):
    assert throttle.wait_text(seconds) == text
