"""Personal API tokens: the profile page's section (create, shown once; revoke) and the
``/api/v1/tokens/`` resource (list and revoke your own)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.api import access, selectors, services
from portal.api.base import ApiViewSet
from portal.api.forms import ApiTokenForm
from portal.api.models import ApiToken
from portal.api.templatetags.api_tokens import token_section_context
from portal.forms import apply_validation_error

SECTION = "api/token_section.html#section"


def _section(request, *, status=200, **context):
    return render(
        request, SECTION, token_section_context(user=request.user, **context), status=status
    )


@never_cache
@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        if request.htmx:
            return _section(request, form=form, status=400)
        return render(request, "api/token_created.html", {"token_form": form}, status=400)
    # The token is shown in this response and never again: nothing stores it.
    if request.htmx:
        return _section(request, new_token=raw, created=token)
    return render(request, "api/token_created.html", {"new_token": raw, "created": token})


@login_required
@require_POST
def token_revoke(request, pk):
    token = access.api_token_for_owner_or_404(user=request.user, pk=pk)
    services.api_token_revoke(token=token)
    if request.htmx:
        return _section(request)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("people:profile")


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenViewSet(ApiViewSet):
    """Your personal API tokens (never the tokens themselves: only their first characters).
    Create them on your profile page; revoke them there or here."""

    serializer_class = ApiTokenSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.api_tokens_of(user=self.request.user)

    def list(self, request):
        return self.page_or_list(self.get_queryset(), ApiTokenSerializer)

    def retrieve(self, request, pk=None):
        return Response(ApiTokenSerializer(self.get_object()).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        token = access.api_token_for_owner_or_404(user=request.user, pk=pk)
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
