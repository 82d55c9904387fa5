"""Who may read and change postmortems and action items: the one place pages, the API, panels
and template tags ask.

Before publication a postmortem is read and edited by its editors (the owning team's members,
the incident's team's members, the incident's participants and staff); its named reviewers may
read and comment too. Once published everybody signed in reads it and nobody edits its text.
Action items stay editable by the editors (and their owner) whatever the postmortem's state.
Built on :mod:`portal.people.access`.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from incidents import selectors as incident_selectors
from incidents.models import Incident
from incidents.postmortems import selectors
from incidents.postmortems.models import ActionItem, Postmortem
from portal.people.access import can_see_team, is_staff
from portal.people.models import Membership

ITEM_CHANGERS_ONLY = "Only its owner and the postmortem's editors can change it."


# ------------------------------------------------------------------------------ the rules
def is_editor(*, user, postmortem: Postmortem) -> bool:
    """One of the postmortem's editors, whatever its state (see the module's docstring)."""
    if not user.is_authenticated:
        return False
    if can_see_team(user=user, team=postmortem.team):
        return True
    incident = postmortem.incident
    if incident.team_id != postmortem.team_id and can_see_team(user=user, team=incident.team):
        return True
    cache = getattr(postmortem, "_participant_ids", None)
    if cache is None:
        cache = postmortem._participant_ids = selectors.participant_ids(incident=incident)
    return user.pk in cache


def can_start(*, user, incident: Incident) -> bool:
    """Who may start an incident's postmortem: the same people who may edit one."""
    if not user.is_authenticated:
        return False
    if can_see_team(user=user, team=incident.team):
        return True
    return user.pk in selectors.participant_ids(incident=incident)


def can_edit(*, user, postmortem: Postmortem) -> bool:
    """May change the text (header, sections, timeline): editors, before publication."""
    return postmortem.is_editable and is_editor(user=user, postmortem=postmortem)


def is_reviewer(*, user, postmortem: Postmortem) -> bool:
    if not user.is_authenticated:
        return False
    return any(r.user_id == user.pk for r in postmortem.reviewers.all())


def can_read(*, user, postmortem: Postmortem) -> bool:
    if not user.is_authenticated:
        return False
    if postmortem.is_published:
        return True
    return is_editor(user=user, postmortem=postmortem) or is_reviewer(
        user=user, postmortem=postmortem
    )


def can_manage_items(*, user, postmortem: Postmortem) -> bool:
    """Add and change action items: editors, whatever the postmortem's state."""
    return is_editor(user=user, postmortem=postmortem)


def can_change_item(*, user, item: ActionItem) -> bool:
    if not user.is_authenticated:
        return False
    return item.owner_id == user.pk or can_manage_items(user=user, postmortem=item.postmortem)


# ------------------------------------------------------------------------ lists, scoped
def in_progress_for(*, user, limit: int = 20) -> list[Postmortem]:
    """Unpublished postmortems of the user's teams and the ones they review (every one for
    staff, none when signed out), most recently changed first."""
    if not user.is_authenticated:
        return []
    qs = selectors.unpublished_postmortems()
    if not is_staff(user):
        qs = qs.filter(Q(team__memberships__user=user) | Q(reviewers__user=user))
    return list(qs.distinct()[:limit])


def items_visible_to(qs: QuerySet[ActionItem], *, user) -> QuerySet[ActionItem]:
    """The items of ``qs`` that ``user`` may see in a list: items of published postmortems,
    items they own, items of postmortems their teams write (the postmortem's or the
    incident's team) and items on their teams' services; staff see all. So a list never
    shows the titles of an unpublished postmortem's items to people who may not read it
    (``can_read``); participants from other teams see those items on the postmortem."""
    if is_staff(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    teams = Membership.objects.filter(user=user).values("team_id")
    return qs.filter(
        Q(postmortem__status=Postmortem.Status.PUBLISHED)
        | Q(owner=user)
        | Q(postmortem__team_id__in=teams)
        | Q(postmortem__incident__team_id__in=teams)
        | Q(service__team_id__in=teams)
    )


# ---------------------------------------------------------------------------- the helpers
def incident_for_postmortem_starter_or_403(*, user, pk: int) -> Incident:
    """The incident, if the user may start its postmortem; 404 if there is no such incident."""
    incident = incident_selectors.incident_detail(pk=pk)
    if not can_start(user=user, incident=incident):
        raise PermissionDenied(
            "Only the owning team's members, the incident's participants and staff can start "
            "its postmortem."
        )
    return incident


def postmortem_for_reader_or_403(*, user, pk: int) -> Postmortem:
    postmortem = selectors.postmortem_detail(pk=pk)
    if not can_read(user=user, postmortem=postmortem):
        raise PermissionDenied(
            "This postmortem is not published yet: only the owning team, the incident's "
            "participants and its reviewers can read it."
        )
    return postmortem


def postmortem_for_editor_or_403(*, user, pk: int) -> Postmortem:
    """The postmortem, if the user is one of its editors (whatever its state)."""
    postmortem = selectors.postmortem_detail(pk=pk)
    if not is_editor(user=user, postmortem=postmortem):
        raise PermissionDenied(
            "Only the owning team's members, the incident's participants and staff can "
            "edit this postmortem."
        )
    return postmortem


def editable_postmortem_or_403(*, user, pk: int) -> Postmortem:
    """The postmortem, if the user is one of its editors and its text may still change."""
    postmortem = postmortem_for_editor_or_403(user=user, pk=pk)
    if not postmortem.is_editable:
        raise PermissionDenied("This postmortem is published: its text can no longer change.")
    return postmortem


def action_item_for_reader_or_403(*, user, pk: int) -> ActionItem:
    """The item, if the user owns it or may read its postmortem."""
    item = selectors.action_item_detail(pk=pk)
    if item.owner_id != user.pk and not can_read(user=user, postmortem=item.postmortem):
        raise PermissionDenied("This action item belongs to an unpublished postmortem.")
    return item


def changeable_action_item_or_403(*, user, item: ActionItem) -> ActionItem:
    """The item, if the user may change it (its owner and the postmortem's editors)."""
    if not can_change_item(user=user, item=item):
        raise PermissionDenied(ITEM_CHANGERS_ONLY)
    return item


def action_item_for_changer_or_403(*, user, pk: int) -> ActionItem:
    """The item, if the user may read it and change it."""
    item = action_item_for_reader_or_403(user=user, pk=pk)
    return changeable_action_item_or_403(user=user, item=item)
