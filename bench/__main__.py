"""``make bench`` (``python -m bench``): Runwell's benchmarks, on PostgreSQL and Redis.

1. schedule engine versus the iCalendar approach of the best-known peer (``bench.schedule``);
2. pages on the small and on the large seed (``bench.pages``);
3. alert ingestion under gunicorn versus a bare INSERT view (``bench.ingest``);
4. time to page with a real Celery worker and beat (``bench.paging``).

It creates its own databases on the PostgreSQL server of ``DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432): ``runwell_bench_small`` (small seed) and
``runwell_bench`` (a copy of it with the large seed on top), and uses Redis database 13 of
``REDIS_URL`` (default redis://127.0.0.1:6379) as broker and cache. Prints a table and writes
``bench/results.json``. Every figure is a ratio inside one run where a peer or a limit exists.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import harness

RESULTS = Path(__file__).resolve().parent / "results.json"
SMALL_DB = "runwell_bench_small"
LARGE_DB = "runwell_bench"
REDIS_DB = 13
ALL = ("schedule", "pages", "ingest", "paging")


def _redis_url() -> str:
    parts = urlsplit(os.environ.get("BENCH_REDIS_URL") or harness.redis_base_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))


def _redis_reason(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} does not answer: {exc}"
    return None


def _log(message: str) -> None:
    print(message, flush=True)


def _analyze(url: str) -> None:
    """Give the planner statistics of the freshly seeded tables, as autovacuum does in
    production within a minute of a bulk load; without them (a server with autovacuum off, or
    pages measured seconds after the seed) PostgreSQL guesses the sizes and the pages measure
    its guesses, not the queries."""
    harness.sql(url, "ANALYZE")


def _prepare_databases(*, reuse: bool) -> tuple[str, str]:
    small_url, large_url = harness.pg_url(SMALL_DB), harness.pg_url(LARGE_DB)
    seed_env = {"DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_BROKER_URL": "memory://"}
    if reuse and harness.sql(
        harness.pg_url("postgres"), "SELECT 1 FROM pg_database WHERE datname = %s", [LARGE_DB]
    ):
        _log("Reusing the existing bench databases (--reuse-databases); migrating them.")
        for url in (small_url, large_url):  # a migration added since they were made
            harness.run_django(
                ["migrate", "--noinput", "-v0"], env={**seed_env, "DATABASE_URL": url}
            )
            _analyze(url)
        return small_url, large_url
    started = time.monotonic()
    _log(f"Creating {SMALL_DB}: migrate, seed_demo --scale small …")
    harness.database(SMALL_DB, fresh=True, env=seed_env)
    harness.run_django(
        ["seed_demo", "--scale", "small"], env={**seed_env, "DATABASE_URL": small_url}
    )
    _log(f"Creating {LARGE_DB}: a copy of {SMALL_DB}, then seed_demo --scale large …")
    harness.database(LARGE_DB, fresh=True, migrate=False, template=SMALL_DB)
    harness.run_django(
        ["seed_demo", "--scale", "large"],
        env={**seed_env, "DATABASE_URL": large_url},
        timeout=900,
    )
    for url in (small_url, large_url):
        _analyze(url)
    _log(f"Databases ready in {time.monotonic() - started:.0f} s.")
    return small_url, large_url


def _table(results: list[dict]) -> str:
    lines = []
    for r in results:
        name = r.get("name")
        lines.append("")
        if "error" in r:
            lines.append(f"{name}: ERROR {r['error']}")
            continue
        goals = "goals met" if r.get("meets_goals") else "GOALS NOT MET"
        if name == "schedule_engine":
            lines += [
                f"1. Schedule engine ({r['rotation']}, {r['window_days']} days, "
                f"{r['intervals']} intervals; identical results: "
                f"{r['identical_results']}) - {goals}",
                f"   {'':42}{'median (CPU ms)':>16}",
                f"   {'Runwell oncall.engine':42}{r['runwell_median_ms']:>16.2f}",
                f"   {'peer: icalendar + recurring-ical-events':42}{r['peer_median_ms']:>16.2f}",
                f"   speed-up {r['speedup']}x (goal >= {r['speedup_goal']}x)",
                f"   rotation started 10 years ago / yesterday: Runwell "
                f"{r['runwell_old_over_new']} (goal about 1), peer {r['peer_old_over_new']}",
            ]
        elif name == "pages":
            lines.append(f"2. Pages, {r['repeat']} requests each, demo user - {goals}")
            lines.append(
                f"   {'page':18}{'small med':>10}{'p95':>8}{'q':>5}"
                f"{'large med':>11}{'p95':>8}{'q':>5}{'large/small':>13}{'same q':>8}"
            )
            for row in r["pages"]:
                s, g = row["small"], row["large"]
                if s.get("status") != "ok" or g.get("status") != "ok":
                    reason = s.get("reason") or g.get("reason") or "missing"
                    lines.append(f"   {row['page']:18}missing: {reason}"[:110])
                    continue
                lines.append(
                    f"   {row['page']:18}{s['median_ms']:>10.1f}{s['p95_ms']:>8.1f}"
                    f"{s['queries']:>5}{g['median_ms']:>11.1f}{g['p95_ms']:>8.1f}"
                    f"{g['queries']:>5}{row['latency_ratio']:>13.2f}"
                    f"{'yes' if row['same_queries'] else 'NO':>8}"
                )
            lines.append(f"   (ms; goal: same queries, large/small < {r['latency_ratio_goal']})")
        elif name == "alert_ingestion":

            def verdict(ok: bool) -> str:
                return "met" if ok else "NOT MET"

            lines += [
                f"3. Alert ingestion ({r['server']}, {r['clients']} concurrent clients, "
                f"{r['requests']} requests; {r['worker']}) - {goals}",
                f"   bare view, one INSERT               {r['bare_insert_per_s']:>8.1f} requests/s",
                f"   POST /hooks/alertmanager/<token>/  {r['hook_alerts_per_s']:>8.1f} alerts/s "
                f"accepted (202, stored in the inbox; worker paused meanwhile)",
                f"     accept ratio {r['ratio']} of bare (goal >= {r['ratio_goal']}: "
                f"{verdict(r['accept_meets_goal'])})",
                "   end to end, first request -> last alert ingested by the worker "
                "(informational):",
                f"   {'':35}{r['end_to_end_alerts_per_s']:>8.1f} alerts/s "
                f"({r['end_to_end_seconds']:.1f} s for {r['requests']} requests, "
                f"{r['accept_seconds']:.1f} s of them accepting)",
                f"     end-to-end ratio {r['end_to_end_ratio']} of bare (against "
                f"{r['ratio_goal']}: {verdict(r['end_to_end_meets_goal'])})",
                f"   verified: {r['verified']} ({r['alerts_stored']}/{r['alerts_expected']} "
                f"alerts, {r['incidents_stored']}/{r['incidents_expected']} incidents, "
                f"{r['duplicate_alert_rows']} duplicate rows, inbox drained: "
                f"{r['inbox_drained']})",
            ]
        elif name == "time_to_page":
            t, lag, d2 = (
                r["time_to_page"],
                r["second_step_escalation_lag"],
                r["second_step_delivery_lag"],
            )
            lines += [
                f"4. Time to page ({r['incidents']} incidents at {r['rate_per_s']:g}/s, "
                f"gunicorn + Celery worker + beat) - {goals}",
                f"   {'':36}{'n':>5}{'median':>9}{'p95':>9}{'max':>9}  (ms)",
            ]
            for label, s in (
                ("webhook sent -> page delivered", t),
                ("step 2: due -> fired (engine lag)", lag),
                ("step 2: due -> page delivered", d2),
            ):
                if s.get("count"):
                    lines.append(
                        f"   {label:36}{s['count']:>5}{s['median_ms']:>9.1f}"
                        f"{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}"
                    )
                else:
                    lines.append(f"   {label:36}    0  (nothing measured)")
            lines.append(
                f"   goals: p95 time to page < {r['time_to_page_goal_p95_ms']} ms; step-2 lag "
                f"< one tick ({r['tick_ms']:g} ms); duplicate pages: {r['duplicate_pages']}"
            )
        else:
            lines.append(json.dumps(r))
    return "\n".join(lines)


def _merged(results: list[dict], *, partial: bool) -> list[dict]:
    """A partial run (``--only``) keeps the previous figures of the benchmarks it did not
    run (each carries its own ``measured_at``); a full run replaces everything."""
    if not partial:
        return results
    try:
        previous = json.loads(RESULTS.read_text()).get("benchmarks", [])
    except (OSError, ValueError, AttributeError):
        previous = []
    ran = {r.get("name") for r in results}
    return [r for r in previous if r.get("name") not in ran] + results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated: {','.join(ALL)}")
    parser.add_argument(
        "--reuse-databases",
        action="store_true",
        help="keep the bench databases of a previous run instead of seeding again",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    results: list[dict] = []

    def attempt(name: str, fn) -> None:
        try:
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - report and go on with the next one
            traceback.print_exc()
            results.append({"name": name, "error": f"{type(exc).__name__}: {exc}"[:500]})

    if "schedule" in chosen:
        _log("1. Schedule engine …")
        from bench import schedule

        attempt("schedule_engine", lambda: schedule.run(log=_log))

    needs_servers = [n for n in chosen if n != "schedule"]
    if needs_servers:
        redis_url = _redis_url()
        reason = harness.pg_available() or _redis_reason(redis_url)
        if reason:
            _log(f"Cannot run {', '.join(needs_servers)}: {reason}")
            return 2
        small_url, large_url = _prepare_databases(reuse=args.reuse_databases)
        process_env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no TLS proxy in front
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": large_url,
            "CONN_MAX_AGE": "60",
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "RUNWELL_BASE_URL": "http://127.0.0.1:8000",
            # The chat webhooks are a loopback receiver: outbound HTTP must be allowed there.
            "OUTBOUND_ALLOW_PRIVATE": "127.0.0.1/32",
            "BENCH_SMALL_DATABASE_URL": "",  # the started processes see the large seed only
        }
        os.environ.update(process_env)
        os.environ["BENCH_SMALL_DATABASE_URL"] = small_url  # this process only
        import warnings

        import django

        # whitenoise: STATIC_ROOT is not collected for the benchmark, which is fine.
        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()

        if "pages" in chosen:
            _log("2. Pages (small and large seed, interleaved) …")
            from bench import pages

            attempt("pages", lambda: pages.measure(log=_log))
        if "ingest" in chosen:
            _log("3. Alert ingestion …")
            from bench import ingest

            attempt("alert_ingestion", lambda: ingest.run(env=process_env, log=_log))
        if "paging" in chosen:
            _log("4. Time to page …")
            from bench import paging

            attempt(
                "time_to_page",
                lambda: paging.run(env=process_env, broker_url=redis_url, log=_log),
            )

    total = time.monotonic() - started
    print(_table(results), flush=True)
    print(f"\nmake bench took {total:.0f} s; results in {RESULTS}", flush=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for r in results:
        r.setdefault("measured_at", now)
    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": now,
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "seconds": round(total, 1),
                "benchmarks": _merged(results, partial=set(chosen) != set(ALL)),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
