"""A fixed-window request counter: in Redis in production, so every web process shares it;
in the Django cache (local memory) in tests and ``make run``, where there is no Redis.

With Redis (the default cache is Django's ``RedisCache``), the process's shared client
(``portal.redis_client``) counts with ``INCR`` and ``EXPIRE`` in one pipelined round trip;
going through the cache instead would build a new ``redis.Redis`` client on every call.

When Redis cannot be reached the limit is not applied: an outage of Redis must not make the
webhooks refuse alerts (the database, not Redis, is where they are kept)."""

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from portal import redis_client

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    retry_after: int | None  # None: within the limit; else whole seconds until the window ends
    peeked: bool = False  # whether the ``peek`` key existed (False without Redis)


def _count(cache_key: str, window: int, peek: str | None) -> tuple[int, bool]:
    """This request's number in its window, and whether ``peek`` exists."""
    client = redis_client.shared()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.incr(cache_key)
        pipe.expire(cache_key, window + 5)
        if peek:
            pipe.exists(peek)
        count, _, *peeked = pipe.execute()
        return int(count), bool(peeked and peeked[0])
    if cache.add(cache_key, 1, timeout=window + 5):
        return 1, False
    try:
        return cache.incr(cache_key), False
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 5)
        return 1, False


def hit(key: str, *, limit: int, window: int = WINDOW_SECONDS, now: float | None = None):
    """Count one request under ``key``. Returns None if it is within ``limit`` per window, or
    the whole seconds until the window ends (for ``Retry-After``) if it is over."""
    return check(key, limit=limit, window=window, now=now).retry_after


def check(
    key: str,
    *,
    limit: int,
    window: int = WINDOW_SECONDS,
    now: float | None = None,
    peek: str | None = None,
) -> Verdict:
    """``hit``, and in the same round trip to Redis whether the key ``peek`` exists."""
    now = time.time() if now is None else now
    start = int(now // window) * window
    try:
        count, peeked = _count(f"incidents:rate:{key}:{start}", window, peek)
    except Exception:  # Redis is down (redis.ConnectionError, timeouts): fail open
        logger.warning("Rate limit %s not applied: the cache is unreachable.", key, exc_info=True)
        return Verdict(None)
    if count <= limit:
        return Verdict(None, peeked)
    return Verdict(max(1, math.ceil(start + window - now)), peeked)
