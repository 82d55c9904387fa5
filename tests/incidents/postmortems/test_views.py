"""The pages: search of published postmortems, export, editor, settings and their bounds."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.postmortems import action_items, services
from incidents.postmortems.models import Postmortem, PostmortemSettings
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _published(title, *, team=None, services_=(), started=None, body=""):
    incident_kwargs = {"team": team} if team else {}
    pm = factories.PostmortemFactory(
        published=True,
        title=title,
        started_at=started or datetime(2025, 3, 3, 2, tzinfo=UTC),
        **{f"incident__{k}": v for k, v in incident_kwargs.items()},
    )
    pm.services.set(services_)
    if body:
        factories.PostmortemSectionFactory(postmortem=pm, title="Summary", body=body)
    return pm


def test_list_searches_title_text_team_service_and_dates(
    client, user, team, svc, django_assert_max_num_queries
):
    a = _published("Ledger outage", team=team, services_=[svc], body="The kafka broker died.")
    b = _published("Search slow", started=datetime(2025, 5, 1, tzinfo=UTC), body="Index rebuild")
    c = _published("Kafka lag", started=datetime(2025, 6, 1, tzinfo=UTC))
    draft = factories.PostmortemFactory(title="Kafka draft")
    client.force_login(user)
    url = reverse("postmortems:list")

    def titles(**params):
        body = client.get(url, params, **HX, HTTP_HX_TARGET="pm-results").content.decode()
        return {p.title for p in (a, b, c, draft) if p.title in body}

    assert titles() == {a.title, b.title, c.title}
    assert titles(q="kafka") == {a.title, c.title}  # section text and title; never a draft
    assert titles(q="kafka broker") == {a.title}  # every word must match
    assert titles(q="INDEX") == {b.title}
    assert titles(team=team.slug) == {a.title}
    assert titles(service=svc.slug) == {a.title}
    assert titles(date_from="2025-04-01") == {b.title, c.title}
    assert titles(date_from="2025-04-01", date_to="2025-05-31") == {b.title}
    response = client.get(url, {"date_from": "2025-06-01", "date_to": "2025-01-01"})
    assert response.status_code == 400
    assert "The end of the range is before its start." in response.content.decode()
    assert client.get(url, {"q": "x" * 500}).status_code == 400  # bounded query
    for i in range(30):
        _published(f"Bulk {i}", services_=[svc])
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert "Page 1 of 2" in page
    assert client.get(url, {"page": 2}).status_code == 200


def test_export_downloads_markdown(client, started, commander, member):
    services.section_save(
        section=started.sections.first(), base_version=1, body="It **broke**.", by=commander
    )
    action_items.action_item_create(
        postmortem=started, title="Canary | config", owner=member, by=commander
    )
    client.force_login(commander)
    response = client.get(reverse("postmortems:export", args=[started.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="postmortem-{started.incident_id}-checkout-errors.md"'
    )
    text = response.content.decode()
    assert text.startswith("# Postmortem: Checkout errors\n")
    assert "- **Duration:** 47 min" in text and "## Summary\n\nIt **broke**." in text
    assert "## Timeline" in text and "Rolled back." in text
    assert "| Canary \\| config |" in text
    client.force_login(factories.UserFactory())
    assert client.get(reverse("postmortems:export", args=[started.pk])).status_code == 403


def test_editor_page_renders_with_bounded_queries(
    client, started, commander, django_assert_max_num_queries
):
    for i in range(40):
        factories.TimelineEntryFactory(postmortem=started, position=100 + i)
        factories.ActionItemFactory(postmortem=started)
    client.force_login(commander)
    url = reverse("postmortems:edit", args=[started.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        body.count('class="pm-section"') == 9 and 'hx-trigger="input delay:700ms, submit"' in body
    )
    with django_assert_max_num_queries(30):
        assert client.get(started.get_absolute_url()).status_code == 200


def test_editor_names_the_time_zone_of_its_times(client, started, commander):
    commander.profile.time_zone = "Asia/Kolkata"
    commander.profile.save(update_fields=["time_zone"])
    client.force_login(commander)
    body = client.get(reverse("postmortems:edit", args=[started.pk])).content.decode()
    header = body[
        body.index('id="header-form"') : body.index("</form>", body.index('id="header-form"'))
    ]
    for label in ("Started", "Acknowledged", "Resolved"):
        assert f'{label} <small class="muted zone">(Asia/Kolkata)</small></label>' in header
    assert "Times are in Asia/Kolkata, your time zone" in header
    assert "Title <small" not in header  # only the times carry a zone
    # Each timeline entry's time field, and the field of a new entry, say so too.
    entries = started.timeline.count()
    assert body.count('aria-label="When (Asia/Kolkata)"') == entries > 0
    assert 'When <small class="muted zone">(Asia/Kolkata)</small>' in body
    entry = started.timeline.first()
    url = reverse("postmortems:entry_save", args=[started.pk, entry.pk])
    assert 'aria-label="When (Asia/Kolkata)"' in client.get(url, **HX).content.decode()


def test_timeline_editing_through_the_page(client, started, commander):
    client.force_login(commander)
    add = reverse("postmortems:entry_add", args=[started.pk])
    response = client.post(add, {"at": "2025-03-03T02:10:00", "text": ""}, **HX)
    assert response.status_code == 400 and "Say what happened." in response.content.decode()
    count = started.timeline.count()
    response = client.post(add, {"at": "2025-03-03T02:10:00", "text": "Status page updated"}, **HX)
    assert response.status_code == 200 and started.timeline.count() == count + 1
    entry = started.timeline.get(text="Status page updated")
    url = reverse("postmortems:entry_save", args=[started.pk, entry.pk])
    client.post(url, {"action": "up"}, **HX)
    assert started.timeline.get(pk=entry.pk).position == entry.position - 1
    response = client.post(
        url,
        {
            "action": "save",
            "at": "2025-03-03T02:10:00",
            "text": "Status page updated",
            "annotation": "Too late: 10 minutes in.",
            "version": 1,
        },
        **HX,
    )
    assert response.status_code == 200 and 'value="2"' in response.content.decode()
    client.post(url, {"action": "delete"}, **HX)
    assert started.timeline.count() == count


def test_settings_page_for_managers_only(client, team, manager, member):
    url = reverse("postmortems:team_settings", args=[team.slug])
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert "Summary | What happened, in a few sentences." in page
    bad = {
        "sections": "A\nA",
        "due_days_sev1": 7,
        "due_days_sev2": 14,
        "due_days_sev3": 30,
        "due_days_sev4": 60,
        "postmortem_due_business_days": 2,
    }
    response = client.post(url, bad)
    assert response.status_code == 400 and "appears twice" in response.content.decode()
    assert not PostmortemSettings.objects.exists()
    good = {**bad, "sections": "Summary\nTimeline review | Walk it through", "due_days_sev1": 3}
    assert client.post(url, good).status_code == 302
    row = PostmortemSettings.objects.get(team=team)
    assert row.sections == [
        {"title": "Summary", "prompt": ""},
        {"title": "Timeline review", "prompt": "Walk it through"},
    ]
    assert row.due_days(1) == 3 and row.due_days(2) == 14


def test_anonymous_goes_to_login_everywhere(client, started):
    item = factories.ActionItemFactory(postmortem=started)
    for url in [
        reverse("postmortems:list"),
        reverse("postmortems:my_items"),
        started.get_absolute_url(),
        reverse("postmortems:edit", args=[started.pk]),
        reverse("postmortems:export", args=[started.pk]),
        item.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_in_progress_list_shows_my_teams_drafts_only(client, started, member):
    other = factories.PostmortemFactory(title="Other team's draft")
    client.force_login(member)
    body = client.get(reverse("postmortems:list")).content.decode()
    assert started.title in body and other.title not in body
    assert Postmortem.objects.filter(status="draft").count() == 2


def test_incident_page_shows_the_postmortem_and_its_items(client, started, member, commander):
    item = action_items.action_item_create(
        postmortem=started, title="Canary config", owner=member, by=commander
    )
    client.force_login(member)
    page = client.get(started.incident.get_absolute_url()).content.decode()
    assert 'id="postmortem-link"' in page and item.get_absolute_url() in page


def test_incident_page_says_when_a_sev2_postmortem_is_due(client, incident, member):
    client.force_login(member)
    page = client.get(incident.get_absolute_url()).content.decode()
    # Resolved Mon 3 Mar 02:47 UTC: due two business days later, Wed 5 Mar 02:47.
    assert "postmortem is due by Wed 5 Mar 2025 02:47" in page


def test_team_page_links_to_items_and_managers_to_settings(client, team, manager, member):
    settings_url = reverse("postmortems:team_settings", args=[team.slug])
    client.force_login(member)
    page = client.get(team.get_absolute_url()).content.decode()
    assert reverse("postmortems:team_items", args=[team.slug]) in page
    assert settings_url not in page
    client.force_login(manager)
    assert settings_url in client.get(team.get_absolute_url()).content.decode()
