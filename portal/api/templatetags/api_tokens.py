"""The profile page's API-token section queries for itself (``{% api_tokens_section %}``)."""

from django import template

from portal.api.forms import ApiTokenForm
from portal.api.selectors import api_tokens_of

register = template.Library()


def token_section_context(*, user, form=None, new_token=None, created=None) -> dict:
    return {
        "tokens": list(api_tokens_of(user=user)),
        "token_form": form or ApiTokenForm(),
        "new_token": new_token,
        "created": created,
    }


@register.inclusion_tag("api/token_section.html", takes_context=True)
def api_tokens_section(context):
    return token_section_context(user=context["request"].user)
