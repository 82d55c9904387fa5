"""Sign-in throttling for ``/login/`` and ``/admin/login/``: failed sign-ins are counted per
account (``SIGNIN_RATE_ACCOUNT``, default 5 per 15 minutes) and per client address
(``SIGNIN_RATE_ADDRESS``, default 20 per 15 minutes) in the cache (``portal/throttle.py``).
Over either limit the form refuses *before* checking the password, so the right password does
not get in until the window ends, and the page answers 429 with ``Retry-After``.

Each attempt is counted before the password is checked (so parallel guesses cannot slip past
the limit) and taken back when it succeeds or is refused: only failures count. The limits
apply to the two sign-in forms; ``client.force_login`` and ``authenticate()`` called from code
(the test client's ``login``, management commands) are not throttled.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from portal import throttle


def client_address(request) -> str:
    """The address a request came from: ``REMOTE_ADDR``, or with ``TRUST_X_FORWARDED_FOR``
    (behind a proxy that appends the client's address) the last ``X-Forwarded-For`` entry."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


class ThrottledSignInMixin:
    """For an ``AuthenticationForm``: refuse while the account or the address is over its
    limit of failures, and count this attempt as one if the credentials are refused."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password or self.request is None:
            return super().clean()
        attempts = [
            throttle.hit("signin-account", username.casefold(), settings.SIGNIN_RATE_ACCOUNT),
            throttle.hit(
                "signin-address", client_address(self.request), settings.SIGNIN_RATE_ADDRESS
            ),
        ]
        refused = [a.retry_after for a in attempts if a.refused]
        if refused:
            for attempt in attempts:
                attempt.undo()
            retry_after = max(refused)
            self.request.signin_retry_after = retry_after
            raise ValidationError(
                "Too many failed sign-ins for this account or from your address. "
                f"Try again in {throttle.wait_text(retry_after)}.",
                code="throttled",
            )
        cleaned = super().clean()  # a refusal raises: the attempt stays counted
        for attempt in attempts:
            attempt.undo()
        return cleaned


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    """The form of ``/login/``."""


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    """The form of ``/admin/login/`` (``admin.site.login_form``)."""


def answers_429_when_throttled(view):
    """Wrap a sign-in view: when its form refused the attempt for the limit, the answer is
    429 with ``Retry-After`` (the page itself, with the message, is unchanged)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        retry_after = getattr(request, "signin_retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    return wrapped
