"""Two people editing one postmortem: a save based on an old version is refused (409) with the
other person's change shown; nothing is silently overwritten."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from incidents.postmortems import services
from incidents.postmortems.editing import VersionConflict
from incidents.postmortems.models import PostmortemSection
from tests import factories

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
def test_stale_section_save_is_refused_and_carries_the_current_text(started, commander, member):
    section = started.sections.first()
    saved = services.section_save(section=section, base_version=1, body="Mine", by=commander)
    assert saved.version == 2 and saved.updated_by == commander
    with pytest.raises(VersionConflict) as exc:
        services.section_save(section=section, base_version=1, body="Theirs", by=member)
    assert exc.value.current.body == "Mine" and exc.value.current.updated_by == commander
    assert PostmortemSection.objects.get(pk=section.pk).body == "Mine"
    # Based on the version they were shown, the second person may overwrite on purpose.
    services.section_save(section=section, base_version=2, body="Theirs", by=member)
    assert PostmortemSection.objects.get(pk=section.pk).body == "Theirs"


@pytest.mark.django_db
def test_stale_header_and_timeline_saves_are_refused(started, commander, member):
    services.postmortem_update_header(
        postmortem=started,
        base_version=1,
        title="New title",
        severity=1,
        started_at=started.started_at,
        acknowledged_at=None,
        resolved_at=None,
        by=commander,
    )
    with pytest.raises(VersionConflict) as exc:
        services.postmortem_update_header(
            postmortem=started,
            base_version=1,
            title="Other title",
            severity=2,
            started_at=started.started_at,
            acknowledged_at=None,
            resolved_at=None,
            by=member,
        )
    assert exc.value.current.title == "New title" and exc.value.current.updated_by == commander
    entry = started.timeline.first()
    services.timeline_entry_save(
        entry=entry, base_version=1, at=entry.at, text="A", annotation="", by=commander
    )
    with pytest.raises(VersionConflict):
        services.timeline_entry_save(
            entry=entry, base_version=1, at=entry.at, text="B", annotation="", by=member
        )
    entry.refresh_from_db()
    assert entry.text == "A"


@pytest.mark.django_db
def test_autosave_answers_409_with_their_text_then_overwrite_on_purpose(
    client, started, commander, member
):
    section = started.sections.first()
    url = reverse("postmortems:section_save", args=[started.pk, section.pk])
    client.force_login(commander)
    ok = client.post(url, {"body": "Commander's words", "version": 1}, **HX)
    assert ok.status_code == 200
    body = ok.content.decode()
    assert "Saved at" in body and 'name="version" value="2"' in body and "<html" not in body

    client.force_login(member)
    stale = client.post(url, {"body": "Member's words", "version": 1}, **HX)
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Not saved" in body and "Commander&#x27;s words" in body
    assert 'name="version" value="1"' in body  # still stale: the next keystroke is refused too
    assert 'name="overwrite_version" value="2"' in body
    assert client.post(url, {"body": "Member's words 2", "version": 1}, **HX).status_code == 409
    assert PostmortemSection.objects.get(pk=section.pk).body == "Commander's words"

    forced = client.post(
        url, {"body": "Member's words", "version": 1, "overwrite_version": 2}, **HX
    )
    assert forced.status_code == 200 and 'name="version" value="3"' in forced.content.decode()
    assert PostmortemSection.objects.get(pk=section.pk).body == "Member's words"
    # "Load theirs" fetches the section as it is now.
    fresh = client.get(url, **HX).content.decode()
    assert "Member&#x27;s words" in fresh and 'name="version" value="3"' in fresh


@pytest.mark.django_db
def test_conflict_without_javascript_shows_a_page_with_both_versions(
    client, started, commander, member
):
    section = started.sections.first()
    services.section_save(section=section, base_version=1, body="Theirs", by=commander)
    client.force_login(member)
    url = reverse("postmortems:section_save", args=[started.pk, section.pk])
    response = client.post(url, {"body": "Mine", "version": 1})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Theirs" in body and ">Mine</textarea>" in body
    assert 'name="overwrite_version" value="2"' in body


@pytest.mark.django_db
def test_header_autosave_refuses_an_empty_title_and_saves_nothing(client, started, commander):
    client.force_login(commander)
    url = reverse("postmortems:header_save", args=[started.pk])
    data = {"title": "  ", "severity": 2, "started_at": "2025-03-03T02:00:00", "version": 1}
    response = client.post(url, data, **HX)
    assert response.status_code == 400
    assert "A postmortem needs a title." in response.content.decode()
    started.refresh_from_db()
    assert started.title == "Checkout errors" and started.version == 1
    data["title"] = "Checkout errors after config push"
    response = client.post(url, data, **HX)
    assert response.status_code == 200 and "Saved at" in response.content.decode()
    started.refresh_from_db()
    assert started.title == "Checkout errors after config push" and started.version == 2


@pytest.mark.django_db
def test_timeline_entry_conflict_keeps_my_text_and_shows_theirs(client, started, commander, member):
    entry = started.timeline.first()
    url = reverse("postmortems:entry_save", args=[started.pk, entry.pk])
    client.force_login(commander)
    at = "2025-03-03T02:00:00"
    assert client.post(url, {"at": at, "text": "Theirs", "version": 1}, **HX).status_code == 200
    client.force_login(member)
    response = client.post(url, {"at": at, "text": "Mine", "annotation": "n", "version": 1}, **HX)
    assert response.status_code == 409
    body = response.content.decode()
    assert ">Mine</textarea>" in body and "Theirs" in body
    entry.refresh_from_db()
    assert entry.text == "Theirs"


@pytest.mark.django_db
def test_published_text_is_frozen(started, commander):
    started.status = "published"
    started.published_at = started.started_at
    started.save()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.section_save(
            section=started.sections.first(), base_version=1, body="late", by=commander
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_one_version_let_exactly_one_win(team):
    """Real concurrent transactions on PostgreSQL: eight writers, all based on version 1."""
    pm = factories.PostmortemFactory(incident__team=team)
    section = factories.PostmortemSectionFactory(postmortem=pm, position=0)
    writers = [factories.MembershipFactory(team=team).user for _ in range(8)]
    barrier = threading.Barrier(len(writers))
    outcomes: list[str] = []

    def write(user):
        try:
            barrier.wait(timeout=10)
            services.section_save(section=section, base_version=1, body=user.username, by=user)
            outcomes.append("saved")
        except VersionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(u,)) for u in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict"] * 7 + ["saved"]
    section.refresh_from_db()
    assert section.version == 2 and section.body in {u.username for u in writers}
