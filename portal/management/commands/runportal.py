"""Start the whole portal for development: web server, Celery worker and Celery beat.

Ctrl-C (or SIGTERM) stops all three cleanly. ``make run`` calls this after migrating and
seeding. In production run the processes separately (see the Procfile).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, addr, no_worker, **options):
        python = sys.executable
        var = settings.VAR_DIR
        var.mkdir(exist_ok=True)
        commands = [
            ("web", [python, "manage.py", "runserver", addr, "--noreload"]),
        ]
        if not no_worker:
            commands += [
                (
                    "worker",
                    [
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "portal",
                        "worker",
                        "--loglevel=INFO",
                        "--concurrency=2",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                ),
                (
                    "beat",
                    [
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "portal",
                        "beat",
                        "--loglevel=INFO",
                        f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
                    ],
                ),
            ]
        procs: list[tuple[str, subprocess.Popen]] = []
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(f"Runwell on http://{addr}/ (broker: {broker}). Ctrl-C stops everything.")
        for name, cmd in commands:
            # Children ignore the terminal's Ctrl-C; we stop them ourselves, in order.
            procs.append(
                (name, subprocess.Popen(cmd, env=os.environ.copy(), start_new_session=True))
            )
        try:
            while not stopping:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for _, proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Runwell stopped.")
