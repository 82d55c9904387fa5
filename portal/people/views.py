from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal.catalog.selectors import service_search
from portal.forms import apply_validation_error
from portal.notifications.selectors import unreachable_user_ids
from portal.panels import team_panels
from portal.people import access, selectors, services
from portal.people.forms import MemberAddForm, MemberRoleForm, ProfileForm, TeamCreateForm, TeamForm
from portal.people.models import Membership, Profile


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    profile, _ = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("people:profile")
    status = 400 if form.errors else 200
    if form.errors:  # the form shows what was typed; the page shows what is saved
        profile.refresh_from_db()
    return render(request, "people/profile.html", {"form": form, "profile": profile}, status=status)


@login_required
def team_list(request):
    my_team_ids = set(selectors.teams_of(user=request.user).values_list("pk", flat=True))
    return render(
        request,
        "people/team_list.html",
        {
            "teams": selectors.team_list(),
            "my_team_ids": my_team_ids,
            "can_create_team": access.can_create_team(user=request.user),
        },
    )


@login_required
def team_detail(request, slug):
    return _team_page(request, selectors.team_detail(slug=slug))


def _team_page(request, team, *, add_form=None, member_error=None, status=200):
    context = {
        "team": team,
        "memberships": team.memberships.all(),
        "services": service_search(team=team.slug),
        "can_manage": access.can_manage_team(user=request.user, team=team),
        "role": access.role_in_team(user=request.user, team=team),
        "add_form": add_form or MemberAddForm(),
        "role_choices": Membership.Role.choices,
        "member_error": member_error,
        "panels": team_panels(request, team),
        "unreachable_ids": _unreachable(team),
    }
    return render(request, "people/team_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request):
    access.staff_or_403(request.user, "Only staff can create teams.")
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                description=form.cleaned_data["description"],
                managers=[form.cleaned_data["first_manager"]],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect(team)
    status = 400 if form.errors else 200
    return render(request, "people/team_form.html", {"form": form, "creating": True}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, slug):
    team = access.team_for_manager_or_404(user=request.user, slug=slug)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        team = form.save()
        messages.success(request, "Team settings saved.")
        return redirect(team)
    status = 400 if form.errors else 200
    if form.errors:  # the form shows what was typed; the page shows what is saved
        team.refresh_from_db()
    return render(request, "people/team_form.html", {"form": form, "team": team}, status=status)


def _unreachable(team) -> set[int]:
    """Members with no working contact method: holes in the rota, flagged on the page."""
    return unreachable_user_ids(user_ids=[m.user_id for m in team.memberships.all()])


def _members_response(request, team, form=None, status=200, error=None):
    team = selectors.team_detail(slug=team.slug)
    access.forget_roles(user=request.user)  # a manager may just have stepped down
    if not request.htmx:  # without JavaScript: the whole page, the message next to the form
        return _team_page(request, team, add_form=form, member_error=error, status=status)
    return render(
        request,
        "people/team_detail.html#members",
        {
            "team": team,
            "memberships": team.memberships.all(),
            "can_manage": access.can_manage_team(user=request.user, team=team),
            "add_form": form or MemberAddForm(),
            "role_choices": Membership.Role.choices,
            "member_error": error,
            "unreachable_ids": _unreachable(team),
        },
        status=status,
    )


@login_required
@require_POST
def member_add(request, slug):
    team = access.team_for_manager_or_404(user=request.user, slug=slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(
                team=team, user=form.cleaned_data["username"], role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        return _members_response(request, team, form, status=400)
    if request.htmx:
        return _members_response(request, team)
    messages.success(request, "Member added.")
    return redirect(team)


@login_required
@require_POST
def member_role(request, slug, pk):
    team = access.team_for_manager_or_404(user=request.user, slug=slug)
    membership = get_object_or_404(Membership, pk=pk, team=team)
    form = MemberRoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.membership_set_role(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose member or manager."
    return _after_member_change(request, team, error)


@login_required
@require_POST
def member_remove(request, slug, pk):
    team = access.team_for_manager_or_404(user=request.user, slug=slug)
    membership = get_object_or_404(Membership, pk=pk, team=team)
    error = None
    try:
        services.membership_remove(membership=membership)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _after_member_change(request, team, error)


def _after_member_change(request, team, error):
    if request.htmx or error:
        return _members_response(request, team, status=400 if error else 200, error=error)
    messages.success(request, "Team members updated.")
    return redirect(team)
