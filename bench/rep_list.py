"""Benchmark: the representative list page under load, against the fake BeyondTrust appliance.

Starts the fake appliance (tests/fakes) in this process and the portal under gunicorn as
shipped (gunicorn.conf.py: gthread workers) on 127.0.0.1 random ports, with a throwaway SQLite
database and the embedded default cache that all workers share (the token, the rep list, its
lock and the circuit breaker must be shared; Redis for several machines). The site's list TTL is the minimum,
5 s, so the list expires during each run. Then concurrent clients hammer GET /reps/ twice,
each time from a cold cache: once with an instant appliance, once with 2 s of appliance
latency on every call. Prints requests/s, p50/p99, errors and how often the appliance was
asked. Everything it starts is stopped; nothing leaves loopback.

    .venv/bin/python bench/rep_list.py [--seconds 10] [--clients 20] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.customer_pages import free_port, manage, wait_until_up  # noqa: E402
from bench.load import hammer  # noqa: E402
from tests.fakes.beyondtrust import FakeBeyondTrust  # noqa: E402
from tests.fakes.server import running  # noqa: E402

REP_LIST_TTL = 5  # seconds, the smallest the admin allows


def create_site(env, fake: FakeBeyondTrust) -> None:
    manage(
        env,
        "shell",
        "-c",
        (
            "from portal.models import Backend, Site; "
            "backend = Backend.objects.create(name='Fake appliance', kind='modern', "
            f"base_url={fake.base_url!r}, "
            f"client_id={fake.client_id!r}, client_secret={fake.client_secret!r}); "
            "Site.objects.create(name='Bench', is_default=True, backend=backend, "
            f"rep_list_ttl={REP_LIST_TTL})"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-reps-"))
    env = {
        **{k: v for k, v in os.environ.items() if k != "CACHE_URL"},
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_HTTPS": "false",
        "PORTAL_MANIFEST_STATIC": "false",
        "PORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'portal.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }  # whitenoise: no collected static here
    server = None
    try:
        with running(FakeBeyondTrust()) as fake:
            manage(env, "migrate", "--no-input")
            create_site(env, fake)
            port = free_port()
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "gunicorn.conf.py",
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
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/healthz")
            rows = []
            for latency in (0.0, 2.0):
                manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
                fake.delay = latency
                calls, tokens = fake.count("get_logged_in_reps"), fake.tokens_minted
                result = hammer(
                    f"GET /reps/, appliance latency {latency:g} s",
                    host="127.0.0.1",
                    port=port,
                    path="/reps/",
                    clients=args.clients,
                    seconds=args.seconds,
                )
                for _attempt in range(40):  # a refresh may still be running: bounded wait for it
                    page = urllib.request.urlopen(base + "/reps/", timeout=30).read().decode()
                    if "Alex K." in page:
                        break
                    time.sleep(0.25)
                rows.append(
                    (
                        result,
                        fake.count("get_logged_in_reps") - calls,
                        fake.tokens_minted - tokens,
                        "Alex K." in page,
                    )
                )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(
        f"\nRep list bench: gunicorn {args.workers} gthread workers, {args.clients} concurrent clients, "
        f"{args.seconds:g} s per run, list TTL {REP_LIST_TTL} s, {os.cpu_count()} cores, SQLite, "
        f"shared disk cache, each run from a cold cache\n"
    )
    for result, calls, tokens, listed in rows:
        print(
            f"{result.line()}   upstream get_logged_in_reps {calls}, tokens minted {tokens}"
            f"{'' if listed else '   (reps NOT listed at the end!)'}"
        )


if __name__ == "__main__":
    main()
