"""Benchmark: the start dashboard with a million start records, on SQLite and on PostgreSQL.

Makes a throwaway database (a SQLite file in a temporary folder; on PostgreSQL a new database
beside the one DATABASE_URL names, dropped at the end), migrates it, and bulk-loads
1,000,000 start records spread evenly over the last 90 days (5 sites, 4 flows, 20 issues,
4 outcomes; executemany on SQLite, COPY on PostgreSQL), plus a day of page counts per site
and flow. Then it asks for the dashboard in-process through Django's test client as a
signed-in superuser (the full admin view: fold, queries, SVG, table, funnel):

- cold: the first two requests on days the worker never folded: each folds at most 3 of the
  89 closed days (docs/decisions/0083-analytics-fold-on-the-worker.md) and says the others are
  still being counted; then the worker's catch-up run (the fold task, in-process), which
  folds the rest, and a run with nothing left to fold (what the worker does every 5 minutes);
- warm: each variant (30 and 90 days; no filter, a site, a site + flow + outcome, split by
  issue) several times, median and slowest;
- the CSV export of the 30 days' records, streamed to the end.

    .venv/bin/python bench/analytics.py [--rows 1000000] [--repeat 5] [--setup embedded|services|both]
    PG_PORT=25442 REDIS_PORT=26389 .ci/services .venv/bin/python bench/analytics.py --setup services

`services` needs DATABASE_URL (PostgreSQL) and CACHE_URL (Redis), as `.ci/services` sets them;
`both` runs `embedded` here and `services` under `.ci/services`. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SITES, ISSUES_PER_SITE = 5, 4
FLOWS = ["key", "survey", "rep", "api"]
OUTCOMES = ["started"] * 6 + ["invalid"] * 2 + ["failed", "preview"]
DAYS = 90
BATCH = 20_000


def configure(setup: str, work: Path) -> str | None:
    """Environment for portal.settings; returns the PostgreSQL database to drop afterwards."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "PORTAL_DATA_DIR": str(work),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "PORTAL_LOG_LEVEL": "ERROR",
        }
    )
    if setup == "embedded":
        os.environ.pop("CACHE_URL", None)
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'portal.sqlite3'}"
        return None
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("CACHE_URL", "").startswith("redis"):
        raise SystemExit("services setup: DATABASE_URL/CACHE_URL missing (run through .ci/services)")
    import psycopg

    name = f"portal_bench_analytics_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(url)
    os.environ["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + name))
    return urllib.parse.urlunsplit(parts) + "|" + name


def drop(target: str | None) -> None:
    if not target:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    url, name = target.split("|")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def load(rows: int) -> dict:
    """The sites, issues and start records; returns what the variants filter on."""
    from django.db import connection, transaction
    from django.utils import timezone

    from portal.analytics.models import DailyPageCounts
    from portal.analytics.services import COUNTED_FLOWS
    from portal.models import Backend, Issue, Site

    backend = Backend.objects.create(
        name="Bench", kind=Backend.Kind.MODERN, base_url="https://support.example.com"
    )
    sites = [Site.objects.create(name=f"Site {n}", backend=backend, is_default=n == 0) for n in range(SITES)]
    issues = {
        site.pk: [
            Issue.objects.create(site=site, code_name=f"issue{n}", display_name=f"Issue {n}", order=n).pk
            for n in range(ISSUES_PER_SITE)
        ]
        for site in sites
    }
    now = timezone.now()
    span = DAYS * 86400 - 60
    pick = random.Random(11)
    columns = (
        "site_id, flow, issue_id, backend_kind, outcome, locale, embedded, chat, error_fields, created_at"
    )

    def batch(size):
        for _ in range(size):
            site = pick.choice(sites).pk
            flow = pick.choice(FLOWS)
            issue = pick.choice(issues[site]) if flow in ("survey", "api") else None
            created = now - dt.timedelta(seconds=pick.random() * span)
            yield (site, flow, issue, "modern", pick.choice(OUTCOMES), "en-us", False, False, "", created)

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:  # one transaction, not one per row
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY portal_startrequest ({columns}) FROM STDIN") as copy:
                for row in batch(rows):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO portal_startrequest ({columns}) VALUES ({', '.join(['%s'] * 10)})"
            adapt = connection.ops.adapt_datetimefield_value
            for first in range(0, rows, BATCH):
                cursor.executemany(
                    sql, [(*row[:-1], adapt(row[-1])) for row in batch(min(BATCH, rows - first))]
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    loaded = time.perf_counter() - started
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    DailyPageCounts.objects.bulk_create(
        DailyPageCounts(
            day=today - dt.timedelta(days=back),
            site=site,
            flow=flow,
            views=pick.randint(500, 900),
            submissions=300,
        )
        for back in range(DAYS)
        for site in sites
        for flow in COUNTED_FLOWS
    )
    return {"site": sites[1].pk, "issue": issues[sites[1].pk][0], "seconds": loaded}


def timed(client, url: str, query: dict) -> float:
    started = time.perf_counter()
    response = client.get(url, query)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and b'id="starts-table"' in response.content, response.status_code
    return elapsed


def run(setup: str, rows: int, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"portal-bench-analytics-{setup}-"))
    target = configure(setup, work)
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        call_command("migrate", "--no-input", verbosity=0)
        made = load(rows)
        print(
            f"[{setup}] {connection.vendor}: {rows:,} start records loaded in {made['seconds']:.1f} s",
            flush=True,
        )
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
        client = Client()
        client.force_login(user)
        url = reverse("admin:portal_startrequest_dashboard")
        from portal.analytics import tasks

        for n in (1, 2):
            cold = timed(client, url, {"period": 90})
            print(
                f"[{setup}] cold request {n} (folds 3 of the 89 unfolded closed days, asks the worker "
                f"for the rest, says so): {cold * 1000:.0f} ms",
                flush=True,
            )
        started = time.perf_counter()
        tasks.fold_analytics.call()
        print(
            f"[{setup}] the worker's catch-up run (the other 83 days): "
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
            flush=True,
        )
        started = time.perf_counter()
        tasks.fold_analytics.call()
        print(
            f"[{setup}] a five-minute run with nothing to fold: "
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
            flush=True,
        )
        variants = {
            "30 days": {"period": 30},
            "90 days": {"period": 90},
            "30 days, one site": {"period": 30, "site": made["site"]},
            "90 days, one site": {"period": 90, "site": made["site"]},
            "90 days, site + flow + outcome": {
                "period": 90,
                "site": made["site"],
                "flow": "survey",
                "outcome": "started",
            },
            "90 days, one issue, by flow": {"period": 90, "issue": made["issue"], "breakdown": "flow"},
            "90 days, split by issue": {"period": 90, "breakdown": "issue"},
        }
        print(f"| setup | request | median | slowest (of {repeat}) |")
        print("| --- | --- | --- | --- |")
        for name, query in variants.items():
            times = [timed(client, url, query) for _ in range(repeat)]
            print(
                f"| {connection.vendor} | {name} | {statistics.median(times) * 1000:.0f} ms "
                f"| {max(times) * 1000:.0f} ms |",
                flush=True,
            )
        started = time.perf_counter()
        response = client.get(
            reverse("admin:portal_startrequest_export"), {"created_at__gte": cold_start(30)}
        )
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        print(
            f"[{setup}] CSV export, last 30 days: {lines:,} records in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    finally:
        drop(target)
        shutil.rmtree(work, ignore_errors=True)


def cold_start(days: int) -> str:
    from portal.analytics import counters
    from portal.analytics.services import day_start

    return day_start(counters.today() - dt.timedelta(days=days - 1)).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--setup", choices=["embedded", "services", "both"], default="embedded")
    args = parser.parse_args()
    if args.setup != "both":
        run(args.setup, args.rows, args.repeat)
        return
    own = [sys.executable, __file__, "--rows", str(args.rows), "--repeat", str(args.repeat)]
    subprocess.run([*own, "--setup", "embedded"], check=True)
    env = {
        **os.environ,
        "PG_PORT": os.environ.get("PG_PORT", "25442"),
        "REDIS_PORT": os.environ.get("REDIS_PORT", "26389"),
    }
    subprocess.run([str(ROOT / ".ci" / "services"), *own, "--setup", "services"], check=True, env=env)


if __name__ == "__main__":
    main()
