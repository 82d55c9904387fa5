"""Delivery errors used to quote the first 200 characters of what a chat webhook's server
answered ("Webhook answered HTTP 500: <its body>"), which let a person read internal services
through a webhook pointed at them (issue 15). New errors carry only the status code and its
standard phrase; this cuts the stored ones down to the same."""

import re
from http import HTTPStatus

from django.db import migrations

QUOTED = re.compile(r"Webhook answered HTTP (\d{3}): .*", re.S)


def without_remote_text(text: str) -> str:
    def status_only(match: re.Match) -> str:
        code = int(match[1])
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = ""
        return f"Webhook answered HTTP {code} {phrase}".rstrip()

    return QUOTED.sub(status_only, text)


def forget(apps, schema_editor):
    for name in ("ContactMethod", "Notification"):
        model = apps.get_model("notifications", name)
        rows = model.objects.filter(last_error__contains="Webhook answered HTTP ")
        for row in rows.only("pk", "last_error").iterator():
            cleaned = without_remote_text(row.last_error)
            if cleaned != row.last_error:
                model.objects.filter(pk=row.pk).update(last_error=cleaned)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_message_action_links")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
