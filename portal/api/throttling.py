"""Per-user (and per-address for anonymous callers) rate limits, counted in Django's cache.

DRF's throttles read their rates once, at import; these read ``REST_FRAMEWORK`` on every
request so a changed setting (``API_RATE_USER`` / ``API_RATE_ANON``, or a test's override)
applies at once. An exceeded limit answers 429 with ``Retry-After``.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
