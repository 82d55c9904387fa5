"""Outbound HTTP (portal/outbound.py) never reaches an internal address, at save time or at
send time, whatever the spelling or the DNS answer; it connects to the address it checked,
follows no redirect and never reads a remote body.

Real servers on loopback play the internal services and the chat webhooks. A guard on
``socket.create_connection`` (what httpx connects with) fails the test if anything would
connect beyond loopback, and a patched ``socket.getaddrinfo`` plays DNS for the names these
tests invent (and counts the look-ups); the project's code is not mocked.
"""

import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from portal import outbound
from portal.notifications import channels

# Each row: a target outbound HTTP must refuse, at save and at send.
FORBIDDEN = [
    "http://127.0.0.1:6379/",  # loopback
    "http://127.255.0.9/",
    "http://localhost:6379/",  # loopback by name
    "http://LOCALHOST./x",
    "http://api.localhost/x",
    "http://127.1/",  # short and numeric spellings of 127.0.0.1
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0/",  # unspecified
    "http://0.0.0.0:8000/",
    "http://[::]/",
    "http://[::1]:5432/",  # IPv6 loopback
    "http://10.0.0.5/",  # private
    "http://172.16.3.4/",
    "http://192.168.1.1/admin",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",  # unique local (private IPv6)
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",
    "http://[ff0e::1]/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://192.0.2.10/",  # documentation
    "http://[::ffff:127.0.0.1]:6379/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[::127.0.0.1]/",  # IPv4-compatible IPv6
]
PUBLIC = ["https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/hook", "https://93.184.216.34/x"]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every address httpx connects to; anything beyond loopback fails the test at once."""
    seen: list[str] = []
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        seen.append(address[0])
        assert ipaddress.ip_address(address[0]).is_loopback, f"tried to connect to {address}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return seen


class Dns:
    """``socket.getaddrinfo`` for invented names: each answers its scripted addresses (the
    last list again once the script runs out); IP literals and real names as usual."""

    def __init__(self):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo

    def set(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(name)
        script = self.answers[name]
        addresses = script.pop(0) if len(script) > 1 else script[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port or 0),
            )
            for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch):
    fake = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


class Server:
    """An HTTP(S) server on 127.0.0.1 recording each request; answers ``status`` with
    ``body`` and ``headers`` (an internal service, or a chat webhook)."""

    def __init__(self, *, status=200, body=b"ok", headers=None, tls: ssl.SSLContext | None = None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                state.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(state.status, "SECRET-REASON-PHRASE")
                for name, value in state.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.write(state.body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(**kwargs) -> Server:
        server = Server(**kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def internal(servers):
    """An internal service with a secret to leak (Redis, a metadata endpoint, ...)."""
    return servers(body=b"SECRET-INTERNAL-ANSWER")


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = ["127.0.0.1/32"]


def _send(url: str) -> None:
    channels.post_webhook(url=url, outgoing=channels.Outgoing(subject="Hi", body="There"))


# ------------------------------------------------------------------------------ at save
@pytest.mark.parametrize("url", FORBIDDEN)
def test_every_internal_target_is_refused_at_save(url):
    with pytest.raises(outbound.OutboundRefused, match="private, loopback or reserved"):
        outbound.check_url(url)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_targets_are_accepted_at_save(url):
    outbound.check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://[::1/x"])
def test_only_http_urls_are_targets(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url(url)


def test_a_name_that_resolves_to_an_internal_address_is_refused_at_save(dns):
    dns.set("intranet.example.com", ["10.1.2.3"])
    dns.set("mixed.example.com", ["93.184.216.34", "127.0.0.1"])
    dns.set("chat.example.com", ["93.184.216.34", "2606:2800:220:1::1"])
    for name in ("intranet", "mixed"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(f"https://{name}.example.com/hook")
    outbound.check_url("https://chat.example.com/hook")


def test_a_name_that_does_not_resolve_yet_is_accepted_at_save_and_checked_at_send(dns):
    outbound.check_url("https://not-yet.invalid/hook")  # DNS says nothing: the send decides
    dns.set("not-yet.invalid", ["127.0.0.1"])
    with pytest.raises(channels.DeliveryError) as failure:
        _send("https://not-yet.invalid/hook")
    assert failure.value.permanent


def test_the_allow_list_opens_only_its_own_networks(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = ["127.0.0.1/32", "10.20.0.0/16"]
    for url in ("http://127.0.0.1:9/", "http://[::ffff:127.0.0.1]:9/", "http://10.20.3.4/"):
        outbound.check_url(url)
    for url in ("http://127.0.0.2/", "http://10.21.0.1/", "http://169.254.169.254/"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(url)


# ------------------------------------------------------------------------------ at send
@pytest.mark.parametrize("url", FORBIDDEN)
def test_every_internal_target_is_refused_at_send_without_connecting(url, connections):
    with pytest.raises(channels.DeliveryError) as failure:
        _send(url)
    assert failure.value.permanent
    assert "private, loopback or reserved" in failure.value.reason
    assert connections == []


@pytest.mark.parametrize(
    "template",
    ["http://127.0.0.1:{port}/", "http://localhost:{port}/", "http://[::ffff:127.0.0.1]:{port}/"],
)
def test_a_listening_internal_service_is_never_reached(internal, template):
    with pytest.raises(channels.DeliveryError) as failure:
        _send(template.format(port=internal.port))
    assert internal.requests == []
    assert "SECRET" not in failure.value.reason


def test_a_name_that_resolves_to_loopback_at_send_is_refused(dns, internal):
    # Public when saved, loopback when sent (DNS rebinding).
    dns.set("rebind.example.com", ["93.184.216.34"], ["127.0.0.1"])
    url = f"http://rebind.example.com:{internal.port}/hook"
    outbound.check_url(url)
    with pytest.raises(channels.DeliveryError) as failure:
        _send(url)
    assert failure.value.permanent and internal.requests == []


def test_the_connection_goes_to_the_checked_address(dns, servers, allow_loopback, connections):
    """The name is resolved once and the checked address is the one connected to: a second
    look-up (which would now answer an internal address) never happens."""
    hook = servers()
    dns.set("chat.test", ["127.0.0.1"], ["10.9.9.9"])
    _send(f"http://chat.test:{hook.port}/services/T1/B1/x")
    assert dns.lookups == ["chat.test"]
    assert connections == ["127.0.0.1"]
    [request] = hook.requests
    assert request["path"] == "/services/T1/B1/x"
    assert request["headers"]["Host"] == f"chat.test:{hook.port}"


@pytest.fixture
def tls_ca():
    """A test certificate authority that the outbound TLS context trusts for this test."""
    ca = trustme.CA()
    ca.configure_trust(outbound._tls_context())
    yield ca
    outbound._tls_context.cache_clear()


def _tls_server(servers, ca, name: str) -> Server:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return servers(tls=context)


def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    dns, servers, tls_ca, allow_loopback
):
    hook = _tls_server(servers, tls_ca, "chat.test")
    dns.set("chat.test", ["127.0.0.1"])
    _send(f"https://chat.test:{hook.port}/hook")
    assert hook.sni == ["chat.test"] and len(hook.requests) == 1
    assert hook.requests[0]["headers"]["Host"] == f"chat.test:{hook.port}"


def test_a_certificate_for_another_name_is_refused(dns, servers, tls_ca, allow_loopback):
    hook = _tls_server(servers, tls_ca, "other.test")
    dns.set("chat.test", ["127.0.0.1"])
    with pytest.raises(channels.DeliveryError) as failure:
        _send(f"https://chat.test:{hook.port}/hook")
    assert not failure.value.permanent and hook.requests == []


def test_a_redirect_is_not_followed(servers, internal, allow_loopback):
    hook = servers(status=302, headers={"Location": f"http://127.0.0.1:{internal.port}/"})
    with pytest.raises(channels.DeliveryError) as failure:
        _send(f"http://127.0.0.1:{hook.port}/hook")
    assert failure.value.permanent
    assert failure.value.reason == "Webhook answered HTTP 302 Found (redirects are not followed)"
    assert len(hook.requests) == 1 and internal.requests == []


@pytest.mark.parametrize("status", [200, 403, 500])
def test_the_remote_body_and_reason_phrase_are_never_read_into_the_result(
    servers, allow_loopback, status
):
    hook = servers(status=status, body=b"SECRET-INTERNAL-ANSWER")
    answer = outbound.post_json(
        f"http://127.0.0.1:{hook.port}/", {"text": "hi"}, headers={}, timeout=5
    )
    assert answer.status_code == status
    assert "SECRET" not in repr(answer) and "SECRET" not in answer.reason
    if status != 200:
        with pytest.raises(channels.DeliveryError) as failure:
            _send(f"http://127.0.0.1:{hook.port}/")
        assert "SECRET" not in failure.value.reason
        assert failure.value.reason.startswith(f"Webhook answered HTTP {status} ")


def test_proxy_settings_from_the_environment_are_ignored(monkeypatch, servers, allow_loopback):
    hook = servers()
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.0.0.1:3128")
    _send(f"http://127.0.0.1:{hook.port}/hook")
    assert len(hook.requests) == 1
