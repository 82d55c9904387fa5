"""``python manage.py inbox_requeue [--integration ID] [--payload ID …] [--now]``: queue the
webhook payloads that could not be ingested again, once their cause is fixed (the admin's
"Queue again" does the same). They are ingested in the order they arrived, each as of when it
arrived; ``--now`` ingests them in this process instead of waiting for a worker."""

from django.core.management.base import BaseCommand
from django.db import transaction

from incidents import ingest
from incidents.models import InboxPayload


class Command(BaseCommand):
    help = "Queue failed webhook payloads (Inbox payloads) again, in arrival order."

    def add_arguments(self, parser):
        parser.add_argument("--integration", type=int, help="only this integration's (id)")
        parser.add_argument("--payload", type=int, action="append", help="only this payload")
        parser.add_argument("--now", action="store_true", help="ingest them now, here")

    def handle(self, *args, integration=None, payload=None, now=False, **options):
        failed = InboxPayload.objects.filter(failed_at__isnull=False)
        if integration is not None:
            failed = failed.filter(integration_id=integration)
        if payload:
            failed = failed.filter(pk__in=payload)
        with transaction.atomic():
            count = ingest.inbox_retry(payload_ids=list(failed.values_list("pk", flat=True)))
        self.stdout.write(f"{count} failed payload(s) queued again.")
        if now and count:
            ingest.inbox_drain()
            left = InboxPayload.objects.filter(failed_at__isnull=False).count()
            self.stdout.write(f"Ingested; {left} payload(s) still failed.")
