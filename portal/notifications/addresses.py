"""What a contact method's address must be for its channel: a valid email address, or an
http(s) webhook URL the portal may call (``portal.outbound``). Checked by the form and by the
services that save a method alike."""

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from portal import outbound
from portal.notifications.models import Channel

_email = EmailValidator(message="Enter a valid email address.")
_url = URLValidator(schemes=["http", "https"], message="Enter an http(s):// webhook URL.")


def validate_address(*, channel: str, address: str) -> None:
    """Raise ValidationError({"address": ...}) unless ``address`` suits the channel."""
    if channel not in Channel.values:
        raise ValidationError({"channel": "Choose email or chat webhook."})
    if not address:
        raise ValidationError({"address": "Enter an address."})
    try:
        (_email if channel == Channel.EMAIL else _url)(address)
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from exc
    if len(address) > 500:
        raise ValidationError({"address": "At most 500 characters."})
    if channel == Channel.CHAT_WEBHOOK:
        try:
            outbound.check_url(address)
        except outbound.OutboundRefused as exc:
            raise ValidationError({"address": exc.reason}) from exc
