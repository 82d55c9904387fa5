"""Alert identities and URLs of any length: ``Alert.dedup_key``, ``Alert.source`` and
``Incident.group_key`` become text, and identities are matched by a SHA-256 digest
(``dedup_hash``, ``group_hash``) that the unique constraints and indexes use instead."""

import hashlib

from django.db import migrations, models

import incidents.models

BATCH = 2000


def _digest(value: str) -> str:
    return hashlib.sha256((value or "").encode("utf-8", "surrogatepass")).hexdigest()


def fill_digests(apps, schema_editor):
    for model_name, source, target in (
        ("Alert", "dedup_key", "dedup_hash"),
        ("Incident", "group_key", "group_hash"),
    ):
        model = apps.get_model("incidents", model_name)
        rows = model.objects.using(schema_editor.connection.alias).order_by("pk")
        last = 0
        while batch := list(rows.filter(pk__gt=last).only("pk", source)[:BATCH]):
            for row in batch:
                setattr(row, target, _digest(getattr(row, source)))
            model.objects.bulk_update(batch, [target])
            last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_inbox_payload"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="alert", name="alert_unique_per_incident"),
        migrations.RemoveIndex(model_name="alert", name="incidents_a_integra_4faa3e_idx"),
        migrations.RemoveConstraint(model_name="incident", name="incident_one_open_per_group"),
        migrations.AlterField(
            model_name="alert", name="dedup_key", field=models.TextField()
        ),
        migrations.AlterField(
            model_name="alert", name="source", field=models.TextField(blank=True)
        ),
        migrations.AlterField(
            model_name="incident", name="group_key", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="alert",
            name="dedup_hash",
            field=incidents.models.DigestField(
                default="", editable=False, max_length=64, source="dedup_key"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="incident",
            name="group_hash",
            field=incidents.models.DigestField(
                default="", editable=False, max_length=64, source="group_key"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("integration", "dedup_hash", "incident"), name="alert_unique_per_incident"
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                fields=["integration", "dedup_hash", "-received_at"], name="alert_identity_latest"
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("integration__isnull", False), ("status__in", ["triggered", "acknowledged"])
                ),
                fields=("integration", "group_hash"),
                name="incident_one_open_per_group",
            ),
        ),
        migrations.AlterField(
            model_name="incidentevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("triggered", "Triggered"),
                    ("alert", "Alert"),
                    ("acknowledged", "Acknowledged"),
                    ("resolved", "Resolved"),
                    ("retriggered", "Re-triggered"),
                    ("note", "Note"),
                    ("status_update", "Status update"),
                    ("severity", "Severity changed"),
                    ("commander", "Commander"),
                    ("comms_lead", "Communications lead"),
                    ("reassigned", "Reassigned"),
                    ("escalation", "Escalation"),
                    ("page", "Page sent"),
                    ("nobody", "Nobody to page"),
                    ("maintenance", "Maintenance"),
                    ("update_failed", "Update not applied"),
                ],
                max_length=32,
            ),
        ),
    ]
