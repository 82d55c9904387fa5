"""Calendar feed tokens are stored as their SHA-256, as API and integration tokens are.

Existing tokens are hashed in place, so every feed address already handed out keeps working
(the feed looks the presented token up by its hash). New schedules and people have no address
until one is made; it is shown once. Going back cannot recover the tokens: the reverse step
leaves the hashes, so feeds need a new address after a rollback.
"""

import hashlib

from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):
    for name in ("Schedule", "RotaPreferences"):
        model = apps.get_model("oncall", name)
        rows = list(model.objects.exclude(ical_token_hash=None).only("pk", "ical_token_hash"))
        for row in rows:
            row.ical_token_hash = hashlib.sha256(row.ical_token_hash.encode()).hexdigest()
        model.objects.bulk_update(rows, ["ical_token_hash"], batch_size=1000)


def _hash_field():
    return models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True)


class Migration(migrations.Migration):

    dependencies = [
        ("oncall", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("schedule", "ical_token", "ical_token_hash"),
        migrations.RenameField("rotapreferences", "ical_token", "ical_token_hash"),
        migrations.AlterField("schedule", "ical_token_hash", _hash_field()),
        migrations.AlterField("rotapreferences", "ical_token_hash", _hash_field()),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
    ]
