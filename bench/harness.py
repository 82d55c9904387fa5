"""Real processes on loopback, for ``make bench`` and the reliability suite.

- :class:`Processes` starts gunicorn, Celery workers and beat (each in its own process group,
  output in a log file) and always cleans up: SIGTERM, then SIGKILL.
- :class:`RedisServer` is a private ``redis-server`` on a free loopback port that can be
  stopped and started again (never the machine's own Redis).
- :class:`Receiver` is a Slack-compatible chat webhook on loopback that records every POST
  (path, arrival time, text) and can hang on chosen paths.
- :class:`TcpProxy` sits between a process and PostgreSQL and can cut every connection.
- :func:`database` creates (and migrates) a PostgreSQL database of our own on the server that
  ``DATABASE_URL`` names.

Nothing here imports Django: the callers decide which settings their processes use.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


# ---------------------------------------------------------------------------------- ports
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# ------------------------------------------------------------------------------ databases
def pg_url(database: str) -> str:
    """The URL of ``database`` on the PostgreSQL server that ``DATABASE_URL`` names (or the
    local default server when ``DATABASE_URL`` is not PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        url = DEFAULT_PG
    parts = urlsplit(url)
    return urlunsplit(("postgres", parts.netloc, f"/{database}", "", ""))


def redis_base_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS


def _pg_connect(url: str, **kwargs):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/") or "postgres",
        connect_timeout=3,
        **kwargs,
    )


def pg_available() -> str | None:
    """None if the PostgreSQL server answers, else the reason."""
    try:
        with _pg_connect(pg_url("postgres")):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL at {pg_url('postgres')} does not answer: {exc}"


def database(
    name: str,
    *,
    fresh: bool,
    migrate: bool = True,
    env: dict | None = None,
    template: str | None = None,
) -> str:
    """Create the database ``name`` (dropped first if ``fresh``; a copy of ``template`` if
    given), migrate it with the project's migrations in a subprocess, and return its URL."""
    admin = pg_url("postgres")
    with _pg_connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
    url = pg_url(name)
    if migrate:
        run_django(["migrate", "--noinput", "-v0"], env={**(env or {}), "DATABASE_URL": url})
    return url


def sql(url: str, query: str, params=None) -> list[tuple]:
    """Run one statement on ``url`` in its own connection (autocommit); rows if any."""
    with _pg_connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def truncate_all(url: str, *, keep: tuple[str, ...] = ()) -> None:
    """Empty every table but the migration record, content types and permissions."""
    kept = {"django_migrations", "django_content_type", "auth_permission", *keep}
    rows = sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = [f'"{r[0]}"' for r in rows if r[0] not in kept]
    if tables:
        sql(url, f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def run_django(args: list[str], *, env: dict, timeout: float = 300) -> str:
    """``python manage.py <args>`` with ``env`` on top of ours; its stdout."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# ------------------------------------------------------------------------------ processes
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    ready: Callable[[], bool] = lambda: True

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Processes:
    """Start real processes; on exit (or ``stop``) end them and their children."""

    def __init__(self, *, env: dict, logdir: Path | None = None):
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env}
        logdir = logdir or os.environ.get("RUNWELL_PROCESS_LOGS")  # keep logs there
        self._own_logdir = logdir is None
        self.logdir = Path(logdir or tempfile.mkdtemp(prefix="runwell-procs-"))
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, Proc] = {}

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.close(keep_logs=exc[0] is not None)

    def start(self, name: str, argv: list[str], *, env: dict | None = None) -> Proc:
        log = self.logdir / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: we can end it with its children
        )
        handle.close()
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    def gunicorn(
        self, name: str, port: int, *, workers: int = 2, env: dict | None = None, wait=True
    ) -> Proc:
        argv = [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "3",
        ]
        proc = self.start(name, argv, env=env)
        proc.ready = lambda: port_open(port)
        if wait:
            self.wait_ready(name)
        return proc

    def worker(
        self, name: str, *, concurrency: int = 4, env: dict | None = None, wait=True
    ) -> Proc:
        argv = [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
        ]
        proc = self.start(name, argv, env=env)
        proc.ready = lambda: b" ready." in proc.log.read_bytes()
        if wait:
            self.wait_ready(name)
        return proc

    def beat(self, name: str, *, env: dict | None = None, wait=True) -> Proc:
        schedule = self.logdir / f"{name}-schedule"
        argv = [
            str(BIN / "celery"),
            "-A",
            "portal",
            "beat",
            "--loglevel=INFO",
            f"--schedule={schedule}",
        ]
        proc = self.start(name, argv, env=env)
        proc.ready = lambda: b"beat: Starting" in proc.log.read_bytes()
        if wait:
            self.wait_ready(name)
        return proc

    def wait_ready(self, *names: str, timeout: float = 60) -> None:
        """Wait until each named process (all if none named) is ready; raise with its log
        if one exits or does not get ready in time."""
        procs = [self.procs[n] for n in names] if names else list(self.procs.values())
        deadline = time.monotonic() + timeout
        for proc in procs:
            ok = wait_until(
                lambda p=proc: p.ready() or not p.alive(),
                timeout=max(0.1, deadline - time.monotonic()),
            )
            if not ok or not proc.alive():
                raise RuntimeError(f"{proc.name} did not start:\n{proc.tail()}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the whole process group (a Celery worker and its pool children)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        if sig == signal.SIGKILL:
            proc.popen.wait(timeout=10)

    def stop(self, name: str, timeout: float = 8) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or not proc.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.popen.wait(timeout=10)
        # Pool children that outlived their parent.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self, timeout: float = 5) -> None:
        """SIGTERM every process group at once, SIGKILL whatever is left after ``timeout``."""
        procs, self.procs = list(self.procs.values()), {}
        for proc in procs:
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the leader, and any orphaned children
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=10)

    def close(self, *, keep_logs: bool = False) -> None:
        """End every process; remove our log folder unless ``keep_logs``."""
        self.stop_all()
        if self._own_logdir and not keep_logs:
            shutil.rmtree(self.logdir, ignore_errors=True)

    def tails(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.procs.values())


# ---------------------------------------------------------------------------------- redis
class RedisServer:
    """A private redis-server on loopback (no persistence): stopping it loses every queued
    message, as a crashed broker would."""

    def __init__(self, *, port: int | None = None):
        self.port = port or free_port()
        self.popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> str | None:
        return None if shutil.which("redis-server") else "redis-server is not installed"

    def start(self) -> RedisServer:
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ]
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        if not wait_until(lambda: port_open(self.port), timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        return self

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()  # abrupt, like a crash
            self.popen.wait(timeout=10)
        self.popen = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------------------- receiver
@dataclass
class Arrival:
    path: str
    at: float  # time.monotonic() when the request arrived
    text: str
    wall: float = 0.0  # time.time() at arrival, to compare with times stored in the database
    outcome: str = "pending"  # "delivered" (answered 200) or "aborted" (the sender went away)
    done_at: float | None = None


@dataclass
class Receiver:
    """A chat webhook on loopback recording every POST. ``hang(prefix, seconds)`` makes
    requests to paths starting with ``prefix`` wait that long before answering (or until the
    sender goes away): a slow or stuck chat service."""

    arrivals: list[Arrival] = field(default_factory=list)
    hangs: dict[str, float] = field(default_factory=dict)
    hang_first_only: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer at once (no delayed-ACK stall)

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                at = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    text = json.loads(raw).get("text", "")
                except ValueError:
                    text = raw.decode(errors="replace")
                arrival = Arrival(self.path, at, text, wall=time.time())
                with receiver._lock:
                    receiver.arrivals.append(arrival)
                    delay = receiver._hang_for(self.path)
                if delay and self._sender_left(delay):
                    arrival.outcome, arrival.done_at = "aborted", time.monotonic()
                    self.close_connection = True
                    return
                body = b"ok"
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    arrival.outcome = "delivered"
                except OSError:
                    arrival.outcome = "aborted"
                arrival.done_at = time.monotonic()

            def _sender_left(self, seconds: float) -> bool:
                """Wait up to ``seconds``; True as soon as the sender closes its end."""
                deadline = time.monotonic() + seconds
                sock = self.connection
                while (left := deadline - time.monotonic()) > 0:
                    readable, _, _ = select.select([sock], [], [], min(left, 0.05))
                    if readable:
                        try:
                            if not sock.recv(1, socket.MSG_PEEK):
                                return True
                        except OSError:
                            return True
                return False

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _hang_for(self, path: str) -> float:
        for prefix, seconds in self.hangs.items():
            if path.startswith(prefix):
                if prefix in self.hang_first_only:
                    del self.hangs[prefix]
                return seconds
        return 0.0

    def hang(self, prefix: str, seconds: float, *, first_only: bool = False) -> None:
        with self._lock:
            self.hangs[prefix] = seconds
            if first_only:
                self.hang_first_only.add(prefix)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def snapshot(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)

    def delivered(self, prefix: str = "/") -> list[Arrival]:
        return [
            a for a in self.snapshot() if a.outcome == "delivered" and a.path.startswith(prefix)
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------- proxy
class TcpProxy:
    """A loopback TCP proxy to ``target`` ("host:port"). ``cut()`` closes every connection and
    refuses new ones (the database "goes away"); ``restore()`` lets connections through
    again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_now = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.accepted = 0
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_now.is_set():
                self.refused += 1
                _hard_close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                _hard_close(client)
                continue
            upstream.settimeout(None)
            self.accepted += 1
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                _hard_close(s)
                with self._lock:
                    self._conns.discard(s)

    def cut(self) -> None:
        self.cut_now.set()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for s in conns:
            _hard_close(s)

    def restore(self) -> None:
        self.cut_now.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


def _hard_close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


# ------------------------------------------------------------------------- HTTP load client
def post_many(
    port: int,
    requests: list[tuple[str, bytes]],
    *,
    concurrency: int,
    timeout: float = 30,
) -> list[tuple[int, float, float]]:
    """POST every ``(path, body)`` to 127.0.0.1:``port`` with ``concurrency`` connections at
    once (raw HTTP/1.1 over asyncio: cheap, so the server is what is measured). Returns, in
    request order, ``(status, sent_at, answered_at)`` with ``time.monotonic()`` times; status 0
    means the connection failed."""
    import asyncio

    results: list[tuple[int, float, float]] = [(0, 0.0, 0.0)] * len(requests)

    async def one(index: int) -> None:
        path, body = requests[index]
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        sent = time.monotonic()
        status = 0
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout
            )
            writer.write(head + body)
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout)
            status = int(line.split()[1]) if line else 0
            await asyncio.wait_for(reader.read(), timeout)
            writer.close()
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            status = 0
        results[index] = (status, sent, time.monotonic())

    async def main() -> None:
        queue = iter(range(len(requests)))

        async def client() -> None:
            for index in queue:
                await one(index)

        await asyncio.gather(*(client() for _ in range(concurrency)))

    asyncio.run(main())
    return results


def post_one(port: int, path: str, body: bytes, *, timeout: float = 10) -> tuple[int, bytes]:
    """One POST; ``(status, body)``; status 0 (and the error as body) if there was no answer."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        return 0, repr(exc).encode()
    finally:
        conn.close()


def get_one(port: int, path: str, *, timeout: float = 10) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()
