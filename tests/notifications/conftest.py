"""Real loopback servers for delivery tests: an SMTP server (aiosmtpd) and an HTTP server that
plays a chat webhook. Each records what it received and answers as the test scripts it."""

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from portal.celery import app as celery_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SmtpHandler:
    def __init__(self):
        self.messages = []
        self.rcpt_replies: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 No such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.content, policy=policy.default),
            }
        )
        return "250 Message accepted"


@pytest.fixture
def smtp_server(settings):
    """An SMTP server on loopback; Django's SMTP backend is pointed at it."""
    handler = _SmtpHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class WebhookServer:
    url: str
    requests: list = field(default_factory=list)
    # Statuses to answer, in order; once used up, answer 200.
    statuses: list = field(default_factory=list)
    # Set to a threading.Event to hold each request until it is set.
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def webhook_server(settings):
    """A chat webhook on loopback. Outbound HTTP refuses loopback targets unless staff allow
    them (``OUTBOUND_ALLOW_PRIVATE``), so this fixture opts in, as a test fake must."""
    settings.OUTBOUND_ALLOW_PRIVATE = ["127.0.0.1/32"]
    server_state = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            server_state.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body}
            )
            server_state.arrived.set()
            if server_state.hold is not None:
                server_state.hold.wait(timeout=10)
            status = server_state.statuses.pop(0) if server_state.statuses else 200
            payload = b"ok" if status < 400 else b"invalid_token"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    host, port = httpd.server_address
    server_state.url = f"http://{host}:{port}/hooks/T000/B000/secret"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        if server_state.hold is not None:
            server_state.hold.set()
        httpd.shutdown()
        httpd.server_close()


def webhook_json(request) -> dict:
    return json.loads(request["body"])


@pytest.fixture
def celery_eager():
    """Run tasks in-process when enqueued (for the few end-to-end tests)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous
