"""``python manage.py seed_demo [--scale small|large]``: idempotent demo data.

small: a few teams and people, including ``demo`` / ``demo`` (manager of Payments, member of
Platform) and ``admin`` / ``admin`` (staff). large: about 100 teams, 1,000 people and 300
services, plus whatever each feature's seeder adds (schedules, incidents, history).
"""

import random
import time

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from portal.demo import SEEDERS


class Command(BaseCommand):
    help = "Load demo data (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (repeatable data).")

    def handle(self, *args, scale, seed, **options):
        started = time.monotonic()
        for path in SEEDERS:
            rng = random.Random(f"{seed}:{path}")
            self.stdout.write(f"Seeding {path.rsplit('.', 1)[0]} ({scale})…")
            import_string(path)(scale=scale, rng=rng, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f}s. Log in as demo / demo."
            )
        )
