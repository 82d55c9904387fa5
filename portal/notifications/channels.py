"""Delivery over the wire: email through Django's mail backends, and Slack-compatible chat
webhooks (``{"text": ...}`` POSTed as JSON, through :mod:`portal.outbound` like every
outbound HTTP request). No ORM here.

Each sender returns on success and raises ``DeliveryError`` otherwise, saying whether the
failure is permanent (retrying cannot help: a 4xx from the webhook, a refused recipient) or
temporary (timeouts, refused connections, 5xx, SMTP 4xx).
"""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from portal import outbound

WEBHOOK_TIMEOUT_SECONDS = 5.0
USER_AGENT = "Runwell-Notifications/1.0"


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    subject: str
    body: str


def _smtp_code_permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600


def send_email(*, address: str, outgoing: Outgoing) -> None:
    email = EmailMessage(
        subject=outgoing.subject,
        body=outgoing.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        connection = get_connection(fail_silently=False)
        sent = connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        raise DeliveryError(
            f"Recipient refused: {detail}", permanent=all(_smtp_code_permanent(c) for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        # SMTPSenderRefused, SMTPDataError, authentication errors: 5xx permanent, 4xx transient.
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
            permanent=_smtp_code_permanent(exc.smtp_code),
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers timeouts
        raise DeliveryError(f"Mail server unavailable: {exc}", permanent=False) from exc
    if not sent:
        raise DeliveryError("The mail backend did not send the message.", permanent=False)


def chat_text(outgoing: Outgoing) -> str:
    return f"*{outgoing.subject}*\n{outgoing.body}".strip()


def post_webhook(*, url: str, outgoing: Outgoing) -> None:
    """POST the message to a chat webhook through :mod:`portal.outbound` (which refuses
    internal addresses). A failure's reason names the status code only: what the remote
    server answered is never read, so it can never be shown."""
    try:
        answer = outbound.post_json(
            url,
            {"text": chat_text(outgoing)},
            headers={"User-Agent": USER_AGENT},
            timeout=WEBHOOK_TIMEOUT_SECONDS,
        )
    except outbound.OutboundError as exc:
        raise DeliveryError(f"Webhook not sent: {exc.reason}", permanent=exc.permanent) from exc
    status = answer.status_code
    if 200 <= status < 300:
        return
    reason = f"Webhook answered HTTP {status} {answer.reason}".rstrip()
    if 300 <= status < 400:
        reason += " (redirects are not followed)"
    # 408 and 429 ask us to come back later; any other 4xx (and a redirect, which we do not
    # follow) will not get better by retrying.
    permanent = status < 500 and status not in (408, 425, 429)
    raise DeliveryError(reason, permanent=permanent)
