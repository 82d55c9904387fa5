"""Every field that ingestion fills from outside, at and beyond its old limit: what real
senders send is stored (identities whole and matched by digest, URLs in full, texts cut with
a marker), never refused and never turned into a failed ingestion. On PostgreSQL, where a
column's length is enforced."""

import json

import pytest

from incidents.models import Alert, InboxPayload, Incident, key_digest
from incidents.payloads import MAX_SUMMARY_LENGTH
from tests.incidents.conftest import am_alert, am_payload, am_url, generic_url, post_json

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def ingested_cleanly():
    return not InboxPayload.objects.exists()


def kubernetes_group_key(labels: int) -> str:
    """Alertmanager's groupKey for ``group_by: ['...']``: every label of the alert."""
    pairs = ",".join(f'label_number_{i:02d}="value-of-label-{i:02d}"' for i in range(labels))
    return "{}/{}:{" + pairs + "}"


@pytest.mark.parametrize("length", [499, 500, 501, 586, 5000])
def test_a_group_key_of_any_length_opens_and_feeds_one_incident(client, integration, length):
    group_key = kubernetes_group_key(40)[:length].ljust(length, "x")
    assert len(group_key) == length
    url = am_url(integration)
    r = post_json(client, url, am_payload(am_alert("a1"), group_key=group_key))
    assert r.status_code == 202, r.content
    assert (
        post_json(client, url, am_payload(am_alert("a2"), group_key=group_key)).status_code == 202
    )
    assert ingested_cleanly()
    incident = Incident.objects.get()
    assert incident.group_key == group_key  # whole
    assert incident.group_hash == key_digest(group_key)
    assert incident.alerts.count() == 2  # the second payload joined it

    resolved = am_payload(
        am_alert("a1", status="resolved"), am_alert("a2", status="resolved"), group_key=group_key
    )
    assert post_json(client, url, resolved).status_code == 202
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_a_17_label_alert_grouped_by_everything_is_accepted(client, integration):
    """The issue's case: ``group_by: ['...']`` and a 17-label alert: 586 characters."""
    labels = {f"label_{i:02d}": f"some-longer-value-{i:02d}" for i in range(17)}
    group_key = "{}/{}:{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    assert len(group_key) > 500
    alert = am_alert("f17", **labels)
    r = post_json(client, am_url(integration), am_payload(alert, group_key=group_key))
    assert r.status_code == 202
    assert Incident.objects.get().alerts.get().labels == {**alert["labels"]}


@pytest.mark.parametrize("length", [300, 301, 1000, 20_000])
def test_a_generator_url_of_any_length_is_stored_in_full(client, integration, length):
    base = "http://prometheus.example:9090/graph?g0.expr="
    url = base + "x" * (length - len(base))
    alert = {**am_alert("gen"), "generatorURL": url}
    assert post_json(client, am_url(integration), am_payload(alert)).status_code == 202
    assert ingested_cleanly()
    stored = Alert.objects.get()
    assert stored.source == url
    assert stored.source_url == url


@pytest.mark.parametrize("length", [16, 500, 501, 5000])
def test_a_fingerprint_of_any_length_is_one_identity(client, integration, length):
    fingerprint = ("f" * length)[:length]
    url = am_url(integration)
    post_json(client, url, am_payload(am_alert(fingerprint)))
    post_json(client, url, am_payload(am_alert(fingerprint, status="resolved")))
    assert ingested_cleanly()
    alert = Alert.objects.get()  # one row: the resolution found it by its digest
    assert (alert.dedup_key, alert.status) == (fingerprint, Alert.Status.RESOLVED)


@pytest.mark.parametrize("length", [500, 501, 5000])
def test_a_generic_dedup_key_of_any_length_is_one_identity(client, generic, length):
    key = "k" * length
    body = {"summary": "Disk full", "dedup_key": key, "status": "firing"}
    assert post_json(client, generic_url(generic), body).status_code == 202
    assert (
        post_json(client, generic_url(generic), {**body, "status": "resolved"}).status_code == 202
    )
    assert ingested_cleanly()
    alert = Alert.objects.get()
    assert (alert.dedup_key, alert.status) == (key, Alert.Status.RESOLVED)
    assert Incident.objects.get().group_key == key


def test_identities_differing_only_after_500_characters_stay_apart(client, generic):
    """The old column cut nothing (it refused), but a prefix match would merge these."""
    base = "k" * 600
    for suffix in ("a", "b"):
        body = {"summary": "s", "dedup_key": base + suffix, "status": "firing"}
        assert post_json(client, generic_url(generic), body).status_code == 202
    assert Incident.objects.count() == 2 and Alert.objects.count() == 2


@pytest.mark.parametrize("length", [300, 301, 5000])
def test_a_generic_source_of_any_length_is_stored_in_full(client, generic, length):
    source = "https://grafana.example/d/" + "s" * (length - 26)
    body = {"summary": "s", "dedup_key": "k", "status": "firing", "source": source}
    assert post_json(client, generic_url(generic), body).status_code == 202
    assert Alert.objects.get().source == source


@pytest.mark.parametrize("length", [50, 51, 5000])
def test_a_generic_severity_of_any_length_is_accepted(client, generic, length):
    """It was refused (400) past 50 characters, so the sender could never deliver it. A value
    the integration does not map, however long, takes its default severity."""
    body = {"summary": "s", "dedup_key": "k", "status": "firing", "severity": "x" * length}
    assert post_json(client, generic_url(generic), body).status_code == 202
    assert ingested_cleanly()
    assert Incident.objects.get().severity == generic.default_severity


@pytest.mark.parametrize(
    ("length", "cut"), [(MAX_SUMMARY_LENGTH, False), (MAX_SUMMARY_LENGTH + 1, True), (4000, True)]
)
def test_long_summaries_are_cut_with_a_marker(client, integration, generic, length, cut):
    text = ("é" * length)[:length]  # two bytes each in UTF-8: the column counts characters
    post_json(client, am_url(integration), am_payload(am_alert("am", summary=text)))
    body = {"summary": text, "dedup_key": "gen", "status": "firing"}
    assert post_json(client, generic_url(generic), body).status_code == 202
    assert ingested_cleanly()
    for alert in Alert.objects.all():
        assert len(alert.summary) == min(length, MAX_SUMMARY_LENGTH)
        assert alert.summary.endswith("…") == cut
        # Nothing is lost: the whole text stays in what was received.
        assert text in json.dumps(alert.payload, ensure_ascii=False)


@pytest.mark.parametrize("count", [1, 3])
def test_an_incident_title_from_a_long_summary_is_cut_without_a_count(client, integration, count):
    """The title is the first alert's summary, cut with a marker; how many alerts the incident
    holds is counted where it is shown, not frozen into the title as "(+2 more)"."""
    summary = "S" * 450
    alerts = [am_alert(f"t{i}", summary=summary) for i in range(count)]
    post_json(client, am_url(integration), am_payload(*alerts))
    incident = Incident.objects.get()
    assert len(incident.title) == 300
    assert incident.title.endswith("S…")
    assert incident.alerts.count() == count


def test_many_unicode_labels_and_long_label_values_are_kept(client, integration):
    labels = {f"ラベル_{i}": "値" * 2000 for i in range(52)}
    r = post_json(client, am_url(integration), am_payload(am_alert("uni", **labels)))
    assert r.status_code == 202
    assert ingested_cleanly()
    assert Alert.objects.get().labels["ラベル_51"] == "値" * 2000
