"""Benchmark: customer pages and starts against a bare Django view on the same server.

docs/decisions/0021-customer-page-cache.md: customer pages and starts should reach at least half the
requests per second of a bare Django view. Runs gunicorn as shipped (gunicorn.conf.py: gthread
workers, here one per core) on 127.0.0.1 with a throwaway SQLite database and the demo site on a
BeyondTrust backend, then hammers each path for a few seconds from local client processes.
Everything it starts is stopped; nothing leaves loopback.

    .venv/bin/python bench/customer_pages.py [--seconds 5] [--clients 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import hammer  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="portal-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_HTTPS": "false",
        "PORTAL_MANIFEST_STATIC": "false",
        "PORTAL_DATA_DIR": data_dir,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_RATE_LIMIT": "1000000000",
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--no-input")
    manage(env, "portal_demo", "--no-user")
    manage(
        env,
        "shell",
        "-c",
        "from portal.models import Backend; Backend.objects.update(kind='modern'); "
        "from portal.models import Site; Site.objects.update(consent_text='')",
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "bench.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--access-logfile",
            os.devnull,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/bench/bare/")
        html = urllib.request.urlopen(base + "/key/").read().decode()
        found = re.search(r'name="ts" value="([^"]+)"', html)
        assert found, "the key page carries no form timestamp"
        ts = found.group(1)
        key_body = {"key": "123 4567", "ts": ts, "website": "", "locale": "en-us", "tz": "60"}
        survey_body = {
            "issue": "printing",
            "name": "Jane Doe",
            "details": "Printer offline since 9:00",
            "cf_printer_model": "HP 4000",
            "cf_urgency": "high",
            "ts": ts,
            "website": "",
            "locale": "de",
            "tz": "60",
        }
        common = {"host": "127.0.0.1", "port": port, "clients": args.clients, "seconds": args.seconds}
        for path in ("/", "/key/", "/survey/", "/bench/bare/"):  # warm every worker's caches
            for _ in range(args.workers * 4):
                urllib.request.urlopen(base + path).read()
        results = [
            hammer("bare Django view  GET /bench/bare/", path="/bench/bare/", **common),
            hammer("landing page      GET /", path="/", **common),
            hammer("session key page  GET /key/", path="/key/", **common),
            hammer("survey page       GET /survey/", path="/survey/", **common),
            hammer("survey, prefilled GET /survey/?name=", path="/survey/?name=Jane&issue=vpn", **common),
            hammer(
                "key start        POST /key/",
                path="/key/",
                method="POST",
                body_factory=lambda: key_body,
                expect=303,
                **common,
            ),
            hammer(
                "survey start     POST /survey/",
                path="/survey/",
                method="POST",
                body_factory=lambda: survey_body,
                expect=303,
                **common,
            ),
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    bare = results[0].rps
    database = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite (WAL)"
    cache_kind = "Redis" if env.get("CACHE_URL", "").startswith("redis") else "shared disk cache"
    print(
        f"\nSupport Portal bench: gunicorn {args.workers} gthread workers, {args.clients} client processes, "
        f"{args.seconds:.0f} s per path, {os.cpu_count()} cores, {database}, {cache_kind}\n"
    )
    for result in results:
        share = f"{result.rps / bare:6.0%} of bare" if bare else ""
        print(f"{result.line()}   {share}")


if __name__ == "__main__":
    main()
