"""Action items: creation and its refusals, due-date defaults, status, and the lists."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents.postmortems import action_items, selectors, services
from incidents.postmortems.models import ActionItem
from portal.notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(("severity", "days"), [(1, 7), (2, 14), (3, 30), (4, 60)])
def test_due_date_defaults_from_severity(started, commander, severity, days):
    started.severity = severity
    started.save(update_fields=["severity"])
    today = timezone.localdate()
    item = action_items.action_item_create(
        postmortem=started, title="Fix it", owner=commander, by=commander, today=today
    )
    assert item.due_date == today + timedelta(days=days)


def test_due_days_are_a_team_setting(started, commander):
    services.settings_update(
        team=started.team,
        sections=[{"title": "Summary"}],
        due_days={1: 2, 2: 3, 3: 4, 4: 5},
        postmortem_due_business_days=2,
    )
    today = timezone.localdate()
    item = action_items.action_item_create(
        postmortem=started, title="Fix it", owner=commander, by=commander, today=today
    )
    assert item.due_date == today + timedelta(days=3)  # SEV2


def test_new_owner_is_told_once(started, commander, member):
    item = action_items.action_item_create(
        postmortem=started, title="Fix it", owner=member, by=commander
    )
    assert list(Message.objects.filter(user=member).values_list("dedup_key", flat=True)) == [
        f"ai-assigned:{item.pk}:{member.pk}"
    ]
    action_items.action_item_create(postmortem=started, title="Mine", owner=commander, by=commander)
    assert not Message.objects.filter(user=commander).exists()  # not told about your own


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "   "}, "title", "An action item needs a title."),
        ({"owner": "ghost"}, "owner", "There is no active user named “ghost”."),
        ({"owner": ""}, "owner", "Who will do it? Name an owner."),
        ({"due_date": "2001-01-01"}, "due_date", "The due date cannot be in the past."),
        ({"tracker_url": "javascript:alert(1)"}, "tracker_url", "Enter a valid URL."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(
    client, started, commander, data, field, message
):
    client.force_login(commander)
    post = {"title": "Canary", "owner": commander.username, "priority": 2, **data}
    post = {f"item-{k}": v for k, v in post.items()}
    response = client.post(reverse("postmortems:item_add", args=[started.pk]), post, **HX)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_item-{field}-error"' in body and message in body
    assert not ActionItem.objects.exists()


def test_inactive_owner_is_refused_by_the_service(started, commander):
    gone = factories.UserFactory(is_active=False)
    with pytest.raises(ValidationError) as exc:
        action_items.action_item_create(postmortem=started, title="x", owner=gone, by=commander)
    assert "owner" in exc.value.message_dict
    assert not ActionItem.objects.exists()


def test_add_item_through_the_page(client, started, commander, member, svc):
    client.force_login(commander)
    response = client.post(
        reverse("postmortems:item_add", args=[started.pk]),
        {
            "item-title": "Canary config",
            "item-owner": member.username,
            "item-priority": 1,
            "item-service": svc.pk,
            "item-tracker_url": "https://tracker.example/T-1",
        },
        **HX,
    )
    assert response.status_code == 200
    assert "Canary config" in response.content.decode() and "<html" not in response.content.decode()
    item = ActionItem.objects.get()
    assert (item.owner, item.priority, item.service, item.status) == (member, 1, svc, "open")
    assert item.due_date == timezone.localdate() + timedelta(days=14)


def test_status_changes_need_a_reason_for_wont_do(client, started, commander, member):
    item = action_items.action_item_create(
        postmortem=started, title="Fix", owner=member, by=commander
    )
    client.force_login(member)  # the owner may change it
    url = reverse("postmortems:action_item", args=[item.pk])
    response = client.post(url, {"action": "status", "status": "wont_do", "reason": ""})
    assert (
        response.status_code == 400
        and "Say why this will not be done." in response.content.decode()
    )
    item.refresh_from_db()
    assert item.status == "open"
    client.post(url, {"action": "status", "status": "wont_do", "reason": "Service retired."})
    item.refresh_from_db()
    assert (item.status, item.reason, item.closed_by) == ("wont_do", "Service retired.", member)
    action_items.action_item_set_status(item=item, status="open", by=member)
    item.refresh_from_db()
    assert item.closed_at is None and item.status == "open"


def test_editing_an_item_refuses_a_new_past_due_date(client, started, commander, member):
    item = action_items.action_item_create(
        postmortem=started, title="Fix", owner=member, by=commander
    )
    client.force_login(commander)
    url = reverse("postmortems:action_item", args=[item.pk])
    data = {
        "action": "save",
        "title": "Fix it",
        "owner": member.username,
        "priority": 2,
        "due_date": "2001-01-01",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "cannot be in the past" in response.content.decode()
    data["due_date"] = str(item.due_date + timedelta(days=3))
    data["owner"] = commander.username
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.title == "Fix it" and item.owner == commander


def test_outsider_cannot_change_an_item(client, started, commander, member):
    item = action_items.action_item_create(
        postmortem=started, title="Fix", owner=member, by=commander
    )
    started.status, started.published_at = "published", started.started_at
    started.save()
    client.force_login(factories.UserFactory())
    url = reverse("postmortems:action_item", args=[item.pk])
    assert client.get(url).status_code == 200  # published: readable
    assert client.post(url, {"action": "status", "status": "done"}).status_code == 403
    assert client.post(reverse("postmortems:item_done", args=[item.pk])).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_my_items_page_lists_mine_with_overdue_first_and_marks_done(
    client, started, member, django_assert_max_num_queries
):
    today = timezone.localdate()
    late = factories.ActionItemFactory(
        postmortem=started, owner=member, title="Late one", due_date=today - timedelta(days=3)
    )
    for i in range(20):
        factories.ActionItemFactory(postmortem=started, owner=member, title=f"Item {i}")
    factories.ActionItemFactory(postmortem=started, title="Someone else's")
    client.force_login(member)
    client.get(reverse("postmortems:my_items"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("postmortems:my_items"))
    body = response.content.decode()
    assert "Someone else" not in body and "Item 19" in body
    assert body.index("Late one") < body.index("Item 0")
    assert 'id="my-overdue">1 overdue' in body and "21 open" in body
    response = client.post(reverse("postmortems:item_done", args=[late.pk]), **HX)
    assert response.status_code == 200 and 'data-status="done"' in response.content.decode()
    late.refresh_from_db()
    assert late.status == "done" and late.closed_by == member


def test_team_view_and_counts(client, started, team, member, svc, django_assert_max_num_queries):
    today = timezone.localdate()
    factories.ActionItemFactory(postmortem=started, due_date=today - timedelta(days=1))
    factories.ActionItemFactory(postmortem=started)
    factories.ActionItemFactory(postmortem=started, status="done")
    # An item on one of the team's services from another team's postmortem counts too.
    factories.ActionItemFactory(service=svc, due_date=today - timedelta(days=5))
    counts = selectors.team_item_counts(team=team, today=today)
    assert (counts.open, counts.overdue) == (3, 2)
    client.force_login(member)
    url = reverse("postmortems:team_items", args=[team.slug])
    client.get(url)
    with django_assert_max_num_queries(10):
        body = client.get(url).content.decode()
    assert 'id="team-overdue">2 overdue' in body
    overdue_only = client.get(url + "?overdue=1").content.decode()
    assert overdue_only.count('class="overdue"') == 2
    assert client.get(reverse("postmortems:team_items", args=["nope"])).status_code == 404


def test_panels_show_open_and_overdue_counts(client, started, member, svc):
    today = timezone.localdate()
    factories.ActionItemFactory(
        postmortem=started,
        owner=member,
        service=svc,
        due_date=today - timedelta(days=2),
        title="Overdue thing",
    )
    factories.ActionItemFactory(postmortem=started, owner=member, service=svc)
    client.force_login(member)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Follow-up" in dashboard and "2 open" in dashboard and "1 overdue" in dashboard
    service_page = client.get(svc.get_absolute_url()).content.decode()
    assert 'id="service-item-counts">2 open' in service_page and "Overdue thing" in service_page


def test_dashboard_team_counts_match_the_team_view(started, team, svc):
    other_team = factories.TeamFactory()
    today = timezone.localdate()
    factories.ActionItemFactory(postmortem=started, service=svc, due_date=today - timedelta(days=1))
    factories.ActionItemFactory(postmortem=started)
    factories.ActionItemFactory(service=svc)  # another team's postmortem, our service
    factories.ActionItemFactory(
        postmortem__incident__team=other_team, due_date=today - timedelta(days=1)
    )
    factories.ActionItemFactory(postmortem=started, status="done")
    rows = selectors.teams_item_counts(teams=[team, other_team], today=today)
    assert [(t, c.open, c.overdue) for t, c in rows] == [(team, 3, 1), (other_team, 1, 1)]
    for t, c in rows:
        assert c == selectors.team_item_counts(team=t, today=today)


def test_lists_hide_an_unpublished_postmortems_items_from_people_who_cannot_read_it(
    client, started, member, outsider, staff, svc, incident
):
    """The postmortem itself is closed to outsiders until it is published: so are the titles
    of its action items on the team's list, the service page, the incident page and the API
    (an outsider who owns an item still sees that one)."""
    factories.ActionItemFactory(postmortem=started, service=svc, title="Secret remediation")
    factories.ActionItemFactory(
        postmortem=started, service=svc, owner=outsider, title="Outsider's own item"
    )
    pages = [
        reverse("postmortems:team_items", args=[started.team.slug]),
        svc.get_absolute_url(),
        f"/incidents/{incident.pk}/",
        f"/api/v1/action-items/?team={started.team.slug}",
    ]

    def seen(user) -> list[tuple[bool, bool]]:
        client.force_login(user)
        out = []
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            out.append(
                (
                    "Secret remediation" in body,
                    "Outsider&#x27;s own item" in body or "Outsider's own item" in body,
                )
            )
        return out

    assert seen(outsider) == [(False, True)] * len(pages)
    assert seen(member) == [(True, True)] * len(pages)
    assert seen(staff) == [(True, True)] * len(pages)

    started.status = started.Status.PUBLISHED
    started.published_at = timezone.now()
    started.save(update_fields=["status", "published_at"])
    assert seen(outsider) == [(True, True)] * len(pages)


def test_done_from_my_items_sends_the_updated_counts_out_of_band(client, started, member):
    today = timezone.localdate()
    late = factories.ActionItemFactory(
        postmortem=started, owner=member, title="Late one", due_date=today - timedelta(days=3)
    )
    factories.ActionItemFactory(postmortem=started, owner=member, title="Later one")
    factories.ActionItemFactory(
        postmortem=started, owner=member, title="Old one", due_date=today - timedelta(days=9)
    )
    client.force_login(member)
    body = client.get(reverse("postmortems:my_items")).content.decode()
    assert '<span id="my-open">3 open</span>' in body and 'id="my-overdue">2 overdue' in body
    body = client.post(reverse("postmortems:item_done", args=[late.pk]), **HX).content.decode()
    assert 'data-status="done"' in body
    assert '<span id="my-counts" hx-swap-oob="true">' in body
    assert '<span id="my-open">2 open</span>' in body and 'id="my-overdue">1 overdue' in body
    # The plain (no-JavaScript) post redirects back to the list; it needs no fragment.
    other = factories.ActionItemFactory(postmortem=started, owner=member)
    assert client.post(reverse("postmortems:item_done", args=[other.pk])).status_code == 302
