"""Every write and every restricted read of the API, for every role: the API allows exactly
what the pages allow (401 anonymous, 403 forbidden, the success code otherwise)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "member", "manager", "staff")


def _soon(hours: int) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


# Objects some cases need beyond the world's. get_or_create: a case's url and body may be
# built more than once, and each case's writes are rolled back before the next.
def _spare_schedule(w):
    """A schedule of the team nobody has been on call on yet: it may be deleted."""
    from oncall.models import Schedule

    return Schedule.objects.get_or_create(team=w.team, name="Spare")[0]


def _managers_override(w):
    """An upcoming override the manager made for themselves."""
    from oncall.models import Override

    start = timezone.now() + timedelta(days=3)
    return Override.objects.get_or_create(
        schedule=w.schedule,
        user=w.manager,
        reason="Manager's own",
        defaults={"start": start, "end": start + timedelta(hours=8), "created_by": w.manager},
    )[0]


def _holiday(w):
    from portal.reports.models import Holiday

    return Holiday.objects.get_or_create(team=w.team, date="2025-12-25", name="Christmas")[0]


def _members_method(w):
    """The member's own contact method: nobody else reaches it, not even staff (404)."""
    from portal.notifications.models import ContactMethod

    return ContactMethod.objects.get_or_create(
        user=w.member, channel="email", address="member@example.com"
    )[0]


def _members_message(w):
    from portal.notifications.models import Message

    return Message.objects.get_or_create(
        dedup_key="permissions:member", defaults={"user": w.member, "kind": "report"}
    )[0]


# (name, method, url(world), body(world), {role: status}); roles not named get `default`.
def case(name, method, url, body, default, **by_role):
    expected = {"anonymous": 401, **dict.fromkeys(ROLES[1:], default), **by_role}
    return pytest.param(method, url, body, expected, id=name)


MANAGERS = {"outsider": 403, "member": 403}  # only the team's managers (and staff)
MEMBERS = {"outsider": 403}  # the team's members (and staff)
ANYONE = {}  # anyone signed in
OWNER = {"outsider": 404, "manager": 404, "staff": 404}  # the member's own data only

WRITES = [
    # People and teams
    case(
        "team-create",
        "post",
        lambda w: "/api/v1/teams/",
        lambda w: {"name": "Billing", "slug": "billing", "first_manager": w.member.username},
        201,
        outsider=403,
        member=403,
        manager=403,
    ),
    case(
        "team-update",
        "patch",
        lambda w: "/api/v1/teams/payments/",
        lambda w: {"description": "Money."},
        200,
        **MANAGERS,
    ),
    case(
        "member-add",
        "post",
        lambda w: "/api/v1/teams/payments/members/",
        lambda w: {"username": w.outsider.username},
        201,
        **MANAGERS,
    ),
    case(
        "member-role",
        "patch",
        lambda w: f"/api/v1/teams/payments/members/{w.member.username}/",
        lambda w: {"role": "manager"},
        200,
        **MANAGERS,
    ),
    case(
        "member-remove",
        "delete",
        lambda w: f"/api/v1/teams/payments/members/{w.member.username}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
    case(
        "profile-update",
        "patch",
        lambda w: "/api/v1/profile/",
        lambda w: {"display_name": "Z"},
        200,
    ),
    # Services
    case(
        "service-create",
        "post",
        lambda w: "/api/v1/services/",
        lambda w: {"name": "Ledger", "slug": "ledger", "team": "payments"},
        201,
        **MANAGERS,
    ),
    case(
        "service-update",
        "patch",
        lambda w: "/api/v1/services/checkout/",
        lambda w: {"tier": 1},
        200,
        **MANAGERS,
    ),
    case(
        "service-transfer",
        "post",
        lambda w: "/api/v1/services/checkout/transfer/",
        lambda w: {"to_team": "search"},
        200,
        **MANAGERS,
    ),
    case(
        "service-archive",
        "post",
        lambda w: "/api/v1/services/checkout/archive/",
        lambda w: None,
        200,
        **MANAGERS,
    ),
    case(
        "service-maintenance",
        "post",
        lambda w: "/api/v1/services/checkout/maintenance/",
        lambda w: {"ends_at": _soon(1), "reason": "upgrade"},
        201,
        **MANAGERS,
    ),
    # Rotas
    case(
        "schedule-create",
        "post",
        lambda w: "/api/v1/schedules/",
        lambda w: {"team": "payments", "name": "Secondary", "time_zone": "Europe/London"},
        201,
        **MANAGERS,
    ),
    case(
        "schedule-update",
        "patch",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/",
        lambda w: {"name": "Renamed"},
        200,
        **MANAGERS,
    ),
    case(
        "layer-create",
        "post",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/layers/",
        lambda w: {
            "name": "Nights",
            "participants": [w.manager.username],
            "rotation_start": "2025-01-06",
            "shift_unit": "days",
        },
        201,
        **MANAGERS,
    ),
    case(
        "layer-update",
        "patch",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/layers/{w.layer.pk}/",
        lambda w: {"participants": [w.manager.username, w.member.username]},
        200,
        **MANAGERS,
    ),
    case(
        "layer-move",
        "post",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/layers/{w.layer.pk}/move/",
        lambda w: {"direction": "up"},
        200,
        **MANAGERS,
    ),
    case(
        "layer-remove",
        "delete",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/layers/{w.layer.pk}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
    case(
        "schedule-delete",
        "delete",
        lambda w: f"/api/v1/schedules/{_spare_schedule(w).pk}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
    # The world's schedule has on-call history: it stays, for managers too (400).
    case(
        "schedule-delete-history",
        "delete",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/",
        lambda w: None,
        400,
        **MANAGERS,
    ),
    case(
        "feed-token",
        "post",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/regenerate-feed-token/",
        lambda w: None,
        200,
        **MANAGERS,
    ),
    # An override for oneself: members may, outsiders may not; staff are not in the team, so
    # the rota refuses them as the on-call person (400), as the page does.
    case(
        "override-create-self",
        "post",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/",
        lambda w: {"start": _soon(30), "end": _soon(40), "reason": "swap"},
        201,
        outsider=403,
        staff=400,
    ),
    # An override for someone else: managers only (members get the page's 400 on "user").
    case(
        "override-create-other",
        "post",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/",
        lambda w: {
            "user": w.manager.username,
            "start": _soon(30),
            "end": _soon(40),
            "reason": "cover",
        },
        201,
        outsider=403,
        member=400,
    ),
    # Editing an override: its person or creator, or a manager.
    case(
        "override-update-members-own",
        "patch",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/{w.override.pk}/",
        lambda w: {"end": _soon(60), "reason": "longer"},
        200,
        outsider=403,
    ),
    case(
        "override-update-managers-own",
        "put",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/{_managers_override(w).pk}/",
        lambda w: {"start": _soon(30), "end": _soon(40), "reason": "moved"},
        200,
        outsider=403,
        member=403,
    ),
    # Handing it to someone else: managers only (members get the page's 400 on "user"); staff
    # may, but only to a member of the team (the manager is one).
    case(
        "override-update-hand-over",
        "patch",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/{w.override.pk}/",
        lambda w: {"user": w.manager.username},
        200,
        outsider=403,
        member=400,
    ),
    case(
        "override-remove-members-own",
        "delete",
        lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/{w.override.pk}/",
        lambda w: None,
        204,
        outsider=403,
    ),
    # Holidays (the page's: members read, managers change)
    case(
        "holiday-create",
        "post",
        lambda w: "/api/v1/teams/payments/holidays/",
        lambda w: {"date": "2025-12-26", "name": "Boxing Day"},
        201,
        **MANAGERS,
    ),
    case(
        "holiday-delete",
        "delete",
        lambda w: f"/api/v1/teams/payments/holidays/{_holiday(w).pk}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
    # Notifications: everyone manages their own; nobody reaches anyone else's.
    case(
        "contact-method-create",
        "post",
        lambda w: "/api/v1/contact-methods/",
        lambda w: {"channel": "email", "address": "new@example.com"},
        201,
    ),
    case(
        "contact-method-update",
        "patch",
        lambda w: f"/api/v1/contact-methods/{_members_method(w).pk}/",
        lambda w: {"label": "Work"},
        200,
        **OWNER,
    ),
    case(
        "contact-method-test",
        "post",
        lambda w: f"/api/v1/contact-methods/{_members_method(w).pk}/test/",
        lambda w: None,
        202,
        **OWNER,
    ),
    case(
        "contact-method-delete",
        "delete",
        lambda w: f"/api/v1/contact-methods/{_members_method(w).pk}/",
        lambda w: None,
        204,
        **OWNER,
    ),
    case(
        "notification-preferences",
        "patch",
        lambda w: "/api/v1/notification-preferences/",
        lambda w: {"page": []},
        200,
    ),
    case(
        "inbox-read",
        "post",
        lambda w: f"/api/v1/inbox/{_members_message(w).pk}/read/",
        lambda w: None,
        200,
        **OWNER,
    ),
    case("inbox-read-all", "post", lambda w: "/api/v1/inbox/read-all/", lambda w: None, 200),
    case(
        "rota-feed-token",
        "post",
        lambda w: "/api/v1/rota-preferences/regenerate-feed-token/",
        lambda w: None,
        200,
    ),
    case(
        "rota-preferences",
        "patch",
        lambda w: "/api/v1/rota-preferences/",
        lambda w: {"reminder_lead_minutes": 30},
        200,
    ),
    # Swap and cover requests (the world's is an open cover request by the member)
    case(
        "swap-create",
        "post",
        lambda w: "/api/v1/swap-requests/",
        lambda w: {
            "schedule": w.schedule.pk,
            "requester": w.member.username,
            "shift_start": w.member_next_shift.start.isoformat(),
            "shift_end": w.member_next_shift.end.isoformat(),
            "reason": "Dentist",
        },
        201,
        outsider=403,
    ),
    case(
        "swap-accept",
        "post",
        lambda w: f"/api/v1/swap-requests/{w.swap.pk}/accept/",
        lambda w: None,
        200,
        outsider=403,
        member=400,  # the requester cannot take their own request
        staff=403,  # not in the team: cannot take its shifts
    ),
    case(
        "swap-decline",
        "post",
        lambda w: f"/api/v1/swap-requests/{w.swap.pk}/decline/",
        lambda w: None,
        200,
        outsider=403,
        member=400,
        staff=403,
    ),
    case(
        "swap-withdraw",
        "post",
        lambda w: f"/api/v1/swap-requests/{w.swap.pk}/withdraw/",
        lambda w: None,
        200,
        outsider=403,
    ),
    case(
        "time-off-create",
        "post",
        lambda w: "/api/v1/time-off/",
        lambda w: {"start": _soon(24 * 200), "end": _soon(24 * 201), "note": "Trip"},
        201,
    ),
    case(
        "time-off-delete",
        "delete",
        lambda w: f"/api/v1/time-off/{w.time_off.pk}/",
        lambda w: None,
        204,
        outsider=403,
        manager=403,
    ),
    # Action items (on the world's draft postmortem; the member owns the item)
    case(
        "action-item-create",
        "post",
        lambda w: "/api/v1/action-items/",
        lambda w: {
            "postmortem": w.postmortem.pk,
            "title": "Alert on disk",
            "owner": w.manager.username,
        },
        201,
        outsider=403,
    ),
    case(
        "action-item-update",
        "patch",
        lambda w: f"/api/v1/action-items/{w.action_item.pk}/",
        lambda w: {"priority": 1},
        200,
        outsider=403,
    ),
    case(
        "action-item-complete",
        "post",
        lambda w: f"/api/v1/action-items/{w.action_item.pk}/complete/",
        lambda w: None,
        200,
        outsider=403,
    ),
    # Incidents
    case(
        "incident-declare",
        "post",
        lambda w: "/api/v1/incidents/",
        lambda w: {"title": "Checkout down", "services": ["checkout"], "severity": 2},
        201,
    ),
    case(
        "incident-acknowledge",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/acknowledge/",
        lambda w: None,
        200,
        **MEMBERS,
    ),
    case(
        "incident-resolve",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/resolve/",
        lambda w: {"actionable": True, "note": "Restarted."},
        200,
        **MEMBERS,
    ),
    case(
        "incident-escalate",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/escalate/",
        lambda w: None,
        200,
        **MEMBERS,
    ),
    case(
        "incident-note",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/events/",
        lambda w: {"text": "Looking."},
        201,
        **MEMBERS,
    ),
    case(
        "incident-severity",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/severity/",
        lambda w: {"severity": 1},
        200,
        **MEMBERS,
    ),
    case(
        "incident-role",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/role/",
        lambda w: {"role": "commander", "user": w.manager.username},
        200,
        **MEMBERS,
    ),
    case(
        "incident-reassign",
        "post",
        lambda w: f"/api/v1/incidents/{w.incident.pk}/reassign/",
        lambda w: {"team": "search"},
        200,
        **MEMBERS,
    ),
    case(
        "integration-create",
        "post",
        lambda w: "/api/v1/integrations/",
        lambda w: {"team": "payments", "name": "Prometheus", "kind": "alertmanager"},
        201,
        **MANAGERS,
    ),
    case(
        "integration-update",
        "patch",
        lambda w: f"/api/v1/integrations/{w.integration.pk}/",
        lambda w: {"name": "Renamed", "enabled": False},
        200,
        **MANAGERS,
    ),
    case(
        "integration-rotate",
        "post",
        lambda w: f"/api/v1/integrations/{w.integration.pk}/rotate-token/",
        lambda w: None,
        200,
        **MANAGERS,
    ),
    case(
        "policy-create",
        "post",
        lambda w: "/api/v1/escalation-policies/",
        lambda w: {"team": "payments", "service": "checkout", "name": "Checkout policy"},
        201,
        **MANAGERS,
    ),
    case(
        "policy-update",
        "patch",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/",
        lambda w: {"repeat_count": 2},
        200,
        **MANAGERS,
    ),
    case(
        "policy-delete",
        "delete",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
    case(
        "step-add",
        "post",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/steps/",
        lambda w: {"wait_minutes": 5, "schedules": [w.schedule.pk]},
        201,
        **MANAGERS,
    ),
    case(
        "step-update",
        "patch",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/steps/{w.step.pk}/",
        lambda w: {"notify_managers": True},
        200,
        **MANAGERS,
    ),
    case(
        "step-move",
        "post",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/steps/{w.step.pk}/move/",
        lambda w: {"direction": "down"},
        200,
        **MANAGERS,
    ),
    case(
        "step-remove",
        "delete",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/steps/{w.step.pk}/",
        lambda w: None,
        204,
        **MANAGERS,
    ),
]

READS = [
    case("teams", "get", lambda w: "/api/v1/teams/", None, 200),
    case("team", "get", lambda w: "/api/v1/teams/payments/", None, 200),
    case("members", "get", lambda w: "/api/v1/teams/payments/members/", None, 200),
    case("profile", "get", lambda w: "/api/v1/profile/", None, 200),
    case("tokens", "get", lambda w: "/api/v1/tokens/", None, 200),
    case("services", "get", lambda w: "/api/v1/services/", None, 200),
    case("service", "get", lambda w: "/api/v1/services/checkout/", None, 200),
    case("schedules", "get", lambda w: "/api/v1/schedules/", None, 200),
    case("schedule", "get", lambda w: f"/api/v1/schedules/{w.schedule.pk}/", None, 200),
    case("layers", "get", lambda w: f"/api/v1/schedules/{w.schedule.pk}/layers/", None, 200),
    case("overrides", "get", lambda w: f"/api/v1/schedules/{w.schedule.pk}/overrides/", None, 200),
    case("shifts", "get", lambda w: f"/api/v1/schedules/{w.schedule.pk}/shifts/", None, 200),
    case("oncall", "get", lambda w: "/api/v1/oncall/?team=payments", None, 200),
    case("my-shifts", "get", lambda w: "/api/v1/my-shifts/", None, 200),
    case("rota-prefs", "get", lambda w: "/api/v1/rota-preferences/", None, 200),
    case("swaps", "get", lambda w: "/api/v1/swap-requests/?box=open", None, 200),
    case("swap", "get", lambda w: f"/api/v1/swap-requests/{w.swap.pk}/", None, 200, outsider=403),
    case("time-off", "get", lambda w: "/api/v1/time-off/", None, 200),
    case("holidays", "get", lambda w: "/api/v1/teams/payments/holidays/", None, 200, **MEMBERS),
    case(
        "holiday",
        "get",
        lambda w: f"/api/v1/teams/payments/holidays/{_holiday(w).pk}/",
        None,
        200,
        **MEMBERS,
    ),
    case("contact-methods", "get", lambda w: "/api/v1/contact-methods/", None, 200),
    case(
        "contact-method",
        "get",
        lambda w: f"/api/v1/contact-methods/{_members_method(w).pk}/",
        None,
        200,
        **OWNER,
    ),
    case("notification-prefs", "get", lambda w: "/api/v1/notification-preferences/", None, 200),
    case("inbox", "get", lambda w: "/api/v1/inbox/", None, 200),
    case(
        "inbox-message",
        "get",
        lambda w: f"/api/v1/inbox/{_members_message(w).pk}/",
        None,
        200,
        **OWNER,
    ),
    case("unread-count", "get", lambda w: "/api/v1/inbox/unread-count/", None, 200),
    case("postmortems", "get", lambda w: "/api/v1/postmortems/", None, 200),
    case("published", "get", lambda w: f"/api/v1/postmortems/{w.published.pk}/", None, 200),
    case(
        "draft", "get", lambda w: f"/api/v1/postmortems/{w.postmortem.pk}/", None, 200, outsider=403
    ),
    case("action-items", "get", lambda w: "/api/v1/action-items/", None, 200),
    case(
        "action-item",
        "get",
        lambda w: f"/api/v1/action-items/{w.action_item.pk}/",
        None,
        200,
        outsider=403,
    ),
    case("incidents", "get", lambda w: "/api/v1/incidents/", None, 200),
    case("incident", "get", lambda w: f"/api/v1/incidents/{w.incident.pk}/", None, 200),
    case("timeline", "get", lambda w: f"/api/v1/incidents/{w.incident.pk}/events/", None, 200),
    case("alerts", "get", lambda w: "/api/v1/alerts/", None, 200),
    case("alert", "get", lambda w: f"/api/v1/alerts/{w.alert.pk}/", None, 200),
    case(
        "integrations",
        "get",
        lambda w: "/api/v1/integrations/?team=payments",
        None,
        200,
        **MANAGERS,
    ),
    case(
        "integration",
        "get",
        lambda w: f"/api/v1/integrations/{w.integration.pk}/",
        None,
        200,
        **MANAGERS,
    ),
    case(
        "policies",
        "get",
        lambda w: "/api/v1/escalation-policies/?team=payments",
        None,
        200,
        **MANAGERS,
    ),
    case(
        "policy",
        "get",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/",
        None,
        200,
        **MANAGERS,
    ),
    case(
        "step",
        "get",
        lambda w: f"/api/v1/escalation-policies/{w.policy.pk}/steps/{w.step.pk}/",
        None,
        200,
        **MANAGERS,
    ),
    case(
        "maintenance",
        "get",
        lambda w: "/api/v1/services/checkout/maintenance/",
        None,
        200,
        **MANAGERS,
    ),
]


def _check(client, world, role, method, url, body, expected):
    kwargs = {}
    data = body(world) if body is not None else None
    if data is not None:
        kwargs["data"] = data
    response = getattr(client, method)(url(world), format="json", **kwargs)
    where = f"{role} {method.upper()} {url(world)}"
    assert response.status_code == expected[role], (
        f"{where}: {response.status_code} {response.content[:300]}"
    )
    if response.status_code != 204:
        assert response["Content-Type"] == "application/json", where
        body = response.json()
        if response.status_code in (401, 403):
            assert body["detail"], where


@pytest.mark.parametrize("role", ROLES)
def test_writes(api, world, role):
    """Every write, each from the same starting world: a savepoint rolled back after each."""
    client = api(world.user(role))
    failures = []
    for param in WRITES:
        method, url, body, expected = param.values
        savepoint = transaction.savepoint()
        try:
            _check(client, world, role, method, url, body, expected)
        except AssertionError as exc:
            failures.append(f"{param.id}: {exc}")
        finally:
            transaction.savepoint_rollback(savepoint)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_reads(api, world, role):
    """Every read, in one world per role."""
    client = api(world.user(role))
    for param in READS:
        method, url, body, expected = param.values
        _check(client, world, role, method, url, body, expected)
