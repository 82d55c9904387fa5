"""Rota pages for a schedule's layers: adding and editing a layer, removing it, moving it up
or down, and its participants (add, remove, reorder). Every change applies from now on."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from oncall import access, layer_services, selectors
from oncall.forms import LayerForm, ParticipantAddForm
from oncall.views import after_change, detail_response, layers_context
from portal.forms import apply_validation_error
from portal.people.selectors import team_members

User = get_user_model()


def _layer_kwargs(form: LayerForm) -> dict:
    data = dict(form.cleaned_data)
    data["active_days"] = data.get("active_days") or None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def layer_create(request, pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    today = timezone.now().astimezone(schedule.zone).date()
    form = LayerForm(
        request.POST or None,
        team=schedule.team,
        initial={"rotation_start": today - timedelta(days=today.weekday())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            layer_services.layer_create(schedule=schedule, by=request.user, **_layer_kwargs(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Layer added: it applies from now.")
            return redirect(schedule)
    return _layer_form(request, schedule, form, None)


def _layer_form(request, schedule, form, layer):
    team_users = team_members(team=schedule.team).order_by("username")
    return render(
        request,
        "oncall/layer_form.html",
        {
            "form": form,
            "schedule": schedule,
            "layer": layer,
            "team_users": team_users.values_list("username", flat=True),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def layer_edit(request, pk, layer_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    form = LayerForm(request.POST or None, team=schedule.team, initial=LayerForm.initial_for(layer))
    if request.method == "POST" and form.is_valid():
        data = _layer_kwargs(form)
        try:
            layer_services.layer_update(
                layer=layer, participants=data.pop("participants"), by=request.user, **data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Layer saved: the change applies from now.")
            return redirect(schedule)
    return _layer_form(request, schedule, form, layer)


@login_required
@require_POST
def layer_remove(request, pk, layer_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    layer_services.layer_remove(layer=layer)
    return after_change(
        request,
        schedule,
        "layers",
        layers_context(request, schedule),
        f"Layer {layer.name} removed from now on; its past shifts stay in the history.",
    )


@login_required
@require_POST
def layer_move(request, pk, layer_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    layer_services.layer_move(
        layer=layer, up=request.POST.get("direction") == "up", by=request.user
    )
    return after_change(
        request, schedule, "layers", layers_context(request, schedule), "Layer order changed."
    )


def _participant_change(request, schedule, layer, change, message):
    try:
        change()
    except ValidationError as exc:
        errors = {layer.lineage: " ".join(exc.messages)}
        if request.htmx:
            return render(
                request,
                "oncall/schedule_detail.html#layers",
                layers_context(request, schedule, layer_errors=errors),
                status=400,
            )
        return detail_response(request, schedule, status=400, layer_errors=errors)
    return after_change(request, schedule, "layers", layers_context(request, schedule), message)


@login_required
@require_POST
def participant_add(request, pk, layer_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    form = ParticipantAddForm(request.POST)

    def change():
        if not form.is_valid():
            raise ValidationError(" ".join(e for errs in form.errors.values() for e in errs))
        layer_services.layer_participant_add(
            layer=layer, user=form.cleaned_data["username"], by=request.user
        )

    return _participant_change(request, schedule, layer, change, "Participant added.")


@login_required
@require_POST
def participant_remove(request, pk, layer_pk, user_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    user = get_object_or_404(User, pk=user_pk)
    return _participant_change(
        request,
        schedule,
        layer,
        lambda: layer_services.layer_participant_remove(layer=layer, user=user, by=request.user),
        f"{user.get_username()} removed from {layer.name} from now on.",
    )


@login_required
@require_POST
def participant_move(request, pk, layer_pk, user_pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    layer = selectors.current_version(schedule=schedule, pk=layer_pk)
    user = get_object_or_404(User, pk=user_pk)
    up = request.POST.get("direction") == "up"
    return _participant_change(
        request,
        schedule,
        layer,
        lambda: layer_services.layer_participant_move(
            layer=layer, user=user, up=up, by=request.user
        ),
        "Rotation order changed.",
    )
