"""Limits on what people do by hand (declaring incidents, signing in), counted in Django's
cache: Redis in production, so every web process shares the counts; local memory in
``make run`` and the tests.

A rate is ``(count, seconds)``, read from settings such as ``INCIDENT_DECLARE_RATE="5/10min"``
(``portal/settings.py`` parses them): at most ``count`` events per key in each window of
``seconds``. Windows are fixed, aligned on the clock (as the webhooks' limit in
``incidents/ratelimit.py``), so a refused person is told exactly when the window ends.

Every attempt is counted *before* the guarded work, with one atomic increment, so a burst of
parallel requests cannot all slip under the limit; an attempt that should not count (refused,
invalid, or a sign-in that succeeded) is taken back with :meth:`Attempt.undo`.

When the cache cannot be reached the limit is not applied (and a warning is logged): an outage
of Redis must not stop people from declaring an incident or signing in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

Rate = tuple[int, int]  # (events allowed, window in seconds)


@dataclass
class Attempt:
    """One counted attempt. ``retry_after`` is None when it is within the limit, else the
    whole seconds until the window ends (for ``Retry-After`` and the message)."""

    cache_key: str | None
    retry_after: int | None = None

    @property
    def refused(self) -> bool:
        return self.retry_after is not None

    def undo(self) -> None:
        """Take this attempt back: it does not count against the limit."""
        if self.cache_key is None:
            return
        try:
            cache.decr(self.cache_key)
        except ValueError:  # the window's counter has expired meanwhile: nothing to take back
            pass
        except Exception:  # the cache is unreachable: so was the count
            logger.warning("Throttle %s: could not undo an attempt.", self.cache_key)
        self.cache_key = None


def _key(scope: str, ident: object, window_start: int) -> str:
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}:{window_start}"


def _increment(key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def hit(scope: str, ident: object, rate: Rate | None, *, now: float | None = None) -> Attempt:
    """Count one attempt of ``ident`` (a user id, a username, an address) under ``scope``.

    Within the limit: an :class:`Attempt` that counts (``undo`` takes it back). Over it: a
    refused attempt, already taken back, with the seconds until the window ends. ``rate``
    None means unlimited."""
    if rate is None:
        return Attempt(None)
    limit, window = rate
    now = time.time() if now is None else now
    start = int(now // window) * window
    key = _key(scope, ident, start)
    try:
        count = _increment(key, timeout=window + 5)
    except Exception:  # Redis is down (connection errors, timeouts): fail open
        logger.warning("Throttle %s not applied: the cache is unreachable.", scope, exc_info=True)
        return Attempt(None)
    attempt = Attempt(key)
    if count > limit:
        attempt.undo()
        attempt.retry_after = max(1, math.ceil(start + window - now))
    return attempt


def wait_text(seconds: int) -> str:
    """``seconds`` as a person reads a wait: "30 seconds", "1 minute", "12 minutes"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
