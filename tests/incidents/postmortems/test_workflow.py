"""Draft → in review (reviewers notified, comment, approve) → published; who may do what."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.postmortems import action_items, workflow
from incidents.postmortems.models import Postmortem, PostmortemComment
from portal.notifications.models import Kind, Message
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(username="reviewer")


def _keys(user) -> list[str]:
    return list(Message.objects.filter(user=user).values_list("dedup_key", flat=True))


def test_full_workflow_notifies_the_right_people_once(
    started, commander, member, reviewer, paged, django_capture_on_commit_callbacks
):
    action_items.action_item_create(
        postmortem=started, title="Canary config", owner=member, by=commander
    )
    with django_capture_on_commit_callbacks():
        workflow.review_request(postmortem=started, reviewers=[reviewer], by=commander)
    started.refresh_from_db()
    assert started.status == Postmortem.Status.IN_REVIEW and started.review_round == 1
    assert _keys(reviewer) == [f"pm-review:{started.pk}:1:{reviewer.pk}"]
    message = Message.objects.get(user=reviewer)
    assert message.kind == Kind.NAG and message.url.endswith(started.get_absolute_url())
    # Asking again in the same round does not notify twice.
    workflow.review_request(postmortem=started, reviewers=[reviewer], by=commander)
    assert Message.objects.filter(user=reviewer).count() == 1

    with pytest.raises(ValidationError, match="Waiting for approval from reviewer"):
        workflow.postmortem_publish(postmortem=started, by=commander)

    workflow.comment_add(postmortem=started, body="What about the canary?", by=reviewer)
    assert any(k.startswith("pm-comment:") for k in _keys(commander))

    workflow.review_approve(postmortem=started, by=reviewer)
    workflow.review_approve(postmortem=started, by=reviewer)  # twice: one message
    assert _keys(commander).count(f"pm-approved:{started.pk}:1:{reviewer.pk}:{commander.pk}") == 1

    workflow.postmortem_publish(postmortem=started, by=commander)
    started.refresh_from_db()
    assert started.status == Postmortem.Status.PUBLISHED and started.published_by == commander
    # Participants and action item owners hear about it; the publisher does not.
    assert f"pm-published:{started.pk}:{paged.pk}" in _keys(paged)
    assert f"pm-published:{started.pk}:{member.pk}" in _keys(member)
    assert not any(k.startswith("pm-published") for k in _keys(commander))
    workflow.postmortem_publish(postmortem=started, by=commander)  # idempotent
    assert Message.objects.filter(dedup_key__startswith="pm-published").count() == 2


def test_draft_cannot_be_published_nor_approved(started, commander, reviewer):
    with pytest.raises(ValidationError, match="Ask for a review first"):
        workflow.postmortem_publish(postmortem=started, by=commander)
    with pytest.raises(ValidationError):
        workflow.review_approve(postmortem=started, by=reviewer)


def test_only_named_reviewers_approve(started, commander, reviewer, member):
    workflow.review_request(postmortem=started, reviewers=[reviewer], by=commander)
    with pytest.raises(ValidationError, match="named reviewers"):
        workflow.review_approve(postmortem=started, by=member)


def test_you_cannot_review_your_own_request(started, commander):
    with pytest.raises(ValidationError, match="somebody else"):
        workflow.review_request(postmortem=started, reviewers=[commander], by=commander)
    started.refresh_from_db()
    assert started.status == Postmortem.Status.DRAFT


def test_back_to_draft_clears_approvals_and_a_new_round_notifies_again(
    started, commander, reviewer
):
    workflow.review_request(postmortem=started, reviewers=[reviewer], by=commander)
    workflow.review_approve(postmortem=started, by=reviewer)
    workflow.postmortem_back_to_draft(postmortem=started, by=commander)
    assert started.reviewers.get().approved_at is None
    workflow.review_request(postmortem=started, reviewers=[reviewer], by=commander)
    assert sorted(_keys(reviewer)) == [
        f"pm-review:{started.pk}:1:{reviewer.pk}",
        f"pm-review:{started.pk}:2:{reviewer.pk}",
    ]


def test_workflow_through_the_pages(client, started, commander, reviewer):
    client.force_login(commander)
    detail = started.get_absolute_url()
    response = client.post(
        reverse("postmortems:review_request", args=[started.pk]), {"reviewers": "nobody-here"}
    )
    assert response.status_code == 400
    assert "No active user named “nobody-here”." in response.content.decode()
    started.refresh_from_db()
    assert started.status == "draft" and not started.reviewers.exists()

    response = client.post(
        reverse("postmortems:review_request", args=[started.pk]), {"reviewers": "@Reviewer"}
    )
    assert response.status_code == 302
    response = client.post(reverse("postmortems:publish", args=[started.pk]))
    assert response.status_code == 400 and "Waiting for approval" in response.content.decode()

    client.force_login(reviewer)  # not in the team: reads because they review it
    page = client.get(detail).content.decode()
    assert 'id="approve"' in page and 'id="edit-link"' not in page
    assert (
        client.post(reverse("postmortems:comment_add", args=[started.pk]), {"body": ""}).status_code
        == 400
    )
    assert not PostmortemComment.objects.exists()
    client.post(reverse("postmortems:comment_add", args=[started.pk]), {"body": "LGTM *mostly*"})
    assert client.post(reverse("postmortems:approve", args=[started.pk])).status_code == 302
    assert client.post(reverse("postmortems:publish", args=[started.pk])).status_code == 403

    client.force_login(commander)
    assert client.post(reverse("postmortems:publish", args=[started.pk])).status_code == 302
    started.refresh_from_db()
    assert started.status == "published"
    page = client.get(detail).content.decode()
    assert "<em>mostly</em>" in page
    # Published: the editor is closed, its saves refused.
    assert client.get(reverse("postmortems:edit", args=[started.pk])).status_code == 302
    section = started.sections.first()
    url = reverse("postmortems:section_save", args=[started.pk, section.pk])
    assert client.post(url, {"body": "late", "version": 1}).status_code == 403


def test_who_reads_and_edits_before_and_after_publication(
    client, started, commander, member, paged
):
    outsider = factories.UserFactory()
    staff = factories.UserFactory(is_staff=True)
    edit = reverse("postmortems:edit", args=[started.pk])
    detail = started.get_absolute_url()
    assert "/login/" in client.get(detail)["Location"]
    for user, can in [
        (member, True),
        (commander, True),
        (paged, True),
        (staff, True),
        (outsider, False),
    ]:
        client.force_login(user)
        assert client.get(edit).status_code == (200 if can else 403), user
        assert client.get(detail).status_code == (200 if can else 403), user
    started.status, started.published_at = "published", started.started_at
    started.save()
    client.force_login(outsider)
    assert client.get(detail).status_code == 200
    assert client.get(edit).status_code == 403
    assert client.get(reverse("postmortems:detail", args=[999999])).status_code == 404
