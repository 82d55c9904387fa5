"""Every HTTP request Runwell makes to an address from outside its code (a person's chat
webhook today; outbound webhooks and push services later) goes through this module.

An address someone typed must not make the portal a proxy into its own network (server-side
request forgery). So:

* ``check_url`` (when an address is saved: forms, API) refuses anything but ``http(s)://``
  URLs whose host is a public address: loopback, private, link-local, shared (CGNAT),
  multicast, reserved and unspecified addresses are refused, IPv4 and IPv6 alike, including
  IPv4 written inside IPv6 (``::ffff:127.0.0.1``, NAT64, 6to4) and odd IPv4 spellings
  (``127.1``, ``2130706433``); so are names that are loopback by definition (``localhost``,
  ``*.localhost``) and names that resolve to such an address now. A name that does not
  resolve at all is accepted: DNS may be down, and the send checks again.
* ``post_json`` (when sending) resolves the host itself, checks *every* address it resolves
  to, and connects to the checked address, with the name kept in the ``Host`` header and in
  TLS (SNI and certificate checks), so a name cannot change its address between the check
  and the connection (DNS rebinding). It follows no redirects, ignores proxy settings from
  the environment, never reads the answer's body and returns only the status code, so what
  a remote server says can never be shown to a person.

The one exception is ``settings.OUTBOUND_ALLOW_PRIVATE``: networks (CIDR) set by staff that
outbound HTTP may reach although they are private, for a chat server or provider inside the
company network and for tests whose fakes listen on loopback. Empty by default. Every person's
webhook may then reach those networks too, so list only what anyone may reach.
"""

import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and 8215).
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
REFUSED = "points at a private, loopback or reserved address, which Runwell does not contact"


class OutboundError(Exception):
    """A request that could not be made; ``reason`` is short and safe to show anyone."""

    permanent = False

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OutboundRefused(OutboundError):
    """The target is not one Runwell may contact (or not a usable URL): never retry."""

    permanent = True


class OutboundUnavailable(OutboundError):
    """The target could not be reached this time (DNS, connection, timeout): try later."""


@dataclass(frozen=True)
class Answer:
    status_code: int

    @property
    def reason(self) -> str:
        """The standard phrase of the status code (never the server's own words)."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""


# ---------------------------------------------------------------------------- the rules
def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(n, strict=False) for n in settings.OUTBOUND_ALLOW_PRIVATE]
    except ValueError as exc:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOW_PRIVATE: {exc}") from exc


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in ipaddress.ip_network("::/96") and int(address) > 1:
        return ipaddress.IPv4Address(int(address))  # IPv4-compatible (deprecated) ::a.b.c.d
    return None


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None and not _public(inner):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def address_allowed(address: IPAddress) -> bool:
    """May outbound HTTP connect to ``address``? Public, or inside the staff's allow-list."""
    if _public(address):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in allowed_networks())


def _literal(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one, in any spelling the C resolver accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 127.1, 0x7f.1, 2130706433
    except (OSError, UnicodeError, ValueError):
        return None


def _loopback_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


def _resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host`` (raises ``socket.gaierror`` when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _parse(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise OutboundRefused("The address is not a valid URL.") from exc
    if target.scheme not in SCHEMES or not target.host:
        raise OutboundRefused("The address must be an http:// or https:// URL.")
    return target


def _port(target: httpx.URL) -> int:
    return target.port or (443 if target.scheme == "https" else 80)


def _host(target: httpx.URL) -> str:
    return target.raw_host.decode("ascii")


def _addresses(target: httpx.URL) -> list[IPAddress]:
    """The addresses ``target``'s host stands for: itself if it is an address, loopback for
    loopback names (whatever the local resolver says), else what DNS answers now (raises
    ``OSError`` when it does not resolve)."""
    host = _host(target)
    literal = _literal(host)
    if literal is not None:
        return [literal]
    if _loopback_name(host):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    try:
        return _resolve(host, _port(target))
    except UnicodeError as exc:
        raise OSError(f"Bad host name {host!r}") from exc


def check_url(url: str) -> None:
    """Raise ``OutboundRefused`` (with a message for the form) unless ``url`` may be saved
    as an outbound target. Run where addresses are saved; the send checks again."""
    target = _parse(url)
    try:
        addresses = _addresses(target)
    except OSError:
        return  # unknown today; the send resolves and checks again
    if not all(address_allowed(a) for a in addresses):
        raise OutboundRefused(f"This address {REFUSED}.")


# -------------------------------------------------------------------------------- sending
@cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: building one loads the CA bundle (about 40 ms of CPU),
    which every request would otherwise do again."""
    return httpx.create_ssl_context()


def _pin(target: httpx.URL) -> tuple[httpx.URL, IPAddress]:
    """Resolve the host, check every address, and return the URL aimed at the checked one."""
    try:
        addresses = _addresses(target)
    except OSError as exc:
        raise OutboundUnavailable("The host name does not resolve.") from exc
    refused = [a for a in addresses if not address_allowed(a)]
    if refused or not addresses:
        logger.warning("Outbound request to %s refused: it stands for %s", target.host, refused)
        raise OutboundRefused(f"The address {REFUSED}.")
    address = addresses[0]
    return target.copy_with(host=str(address)), address


def post_json(url: str, payload, *, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``payload`` as JSON to ``url``; return the answer's status code (its body is
    never read). Raises ``OutboundRefused`` or ``OutboundUnavailable``."""
    target = _parse(url)
    pinned, address = _pin(target)
    extensions = {}
    if target.scheme == "https" and _literal(_host(target)) is None:
        extensions["sni_hostname"] = _host(target)  # TLS verifies the name, not the address
    request_headers = {**headers, "Host": target.netloc.decode("ascii")}
    try:
        with httpx.Client(
            verify=_tls_context(), trust_env=False, follow_redirects=False, timeout=timeout
        ) as client:
            request = client.build_request(
                "POST", pinned, json=payload, headers=request_headers, extensions=extensions
            )
            response = client.send(request, stream=True)
            response.close()  # unread: nothing a remote server says reaches anyone
    except httpx.TimeoutException as exc:
        raise OutboundUnavailable(f"No answer: timed out after {timeout:g} s.") from exc
    except httpx.ConnectError as exc:
        logger.info("Outbound request to %s (%s) failed to connect: %s", target.host, address, exc)
        raise OutboundUnavailable("Could not connect.") from exc
    except httpx.HTTPError as exc:
        logger.info("Outbound request to %s (%s) failed: %r", target.host, address, exc)
        raise OutboundUnavailable("The connection failed.") from exc
    return Answer(status_code=response.status_code)
