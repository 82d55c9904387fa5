"""One Redis client per process for the hot paths (the webhooks' rate limit and the inbox
doorbell), on the default cache's Redis server.

Django's ``RedisCache`` builds a new ``redis.Redis`` (and its few hundred response callbacks)
on every cache call; a client over a shared connection pool costs that once. It gives up
fast on a dead server (no retries, short timeouts): callers treat Redis as optional and go
on without it. Without a Redis cache (tests, ``make run``) there is no client.
"""

import threading

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
TIMEOUT_SECONDS = 0.5

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def url() -> str | None:
    """The default cache's Redis server (the first, if it lists several), or None."""
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") != REDIS_CACHE:
        return None
    location = config.get("LOCATION") or ""
    if isinstance(location, str):
        location = location.split(",")
    return location[0].strip() if location else None


def client_for(server: str) -> redis.Redis:
    client = _clients.get(server)
    if client is None:
        with _lock:
            client = _clients.get(server)
            if client is None:
                pool = redis.ConnectionPool.from_url(
                    server,
                    socket_connect_timeout=TIMEOUT_SECONDS,
                    socket_timeout=TIMEOUT_SECONDS,
                    retry=Retry(NoBackoff(), 0),
                )
                client = _clients[server] = redis.Redis(connection_pool=pool)
    return client


def shared() -> redis.Redis | None:
    """The process's client for the default cache's Redis, or None without one."""
    server = url()
    return None if server is None else client_for(server)
