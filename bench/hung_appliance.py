"""Benchmark: customers while the BeyondTrust appliance accepts connections and never answers.

gunicorn as shipped (gunicorn.conf.py: gthread, one worker per core x 4 threads), production settings and
the embedded defaults (SQLite and the shared disk cache in a throwaway folder), the fake
appliance (tests/fakes) in this process, hung from the start, with an empty cache. Then, at
the same time, 8 clients load GET /reps/ and 8 clients post key starts (which need no
appliance) for --seconds. Prints per path: requests, req/s, p50/p99/max and 5xx answers, and
what the appliance saw. Targets: key starts p99 < 100 ms, rep pages p99 < 1.5 s, no 5xx.
Everything it starts is stopped; nothing leaves loopback; every loop is bounded.

    .venv/bin/python bench/hung_appliance.py [--seconds 60] [--clients 8] [--healthy] [--load wrk]

--load wrk drives the same two kinds of client with two wrk processes (Debian's wrk, one
thread each, bench/wrk/status_counts.lua) instead of Python client processes: the clients
then take a few per cent of a core instead of most of one, so the server's latencies are
measured rather than the load generator's share of the same two cores.

--healthy is the control run: the same load with an appliance that answers, to tell what the
machine costs from what the hung appliance costs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.customer_pages import free_port, manage, wait_until_up  # noqa: E402
from bench.load import Result, hammer_together  # noqa: E402
from portal.conf import bounded_number  # noqa: E402
from tests.fakes.beyondtrust import FakeBeyondTrust  # noqa: E402
from tests.fakes.server import running  # noqa: E402

KEY_P99_MS, REPS_P99_MS = 100, 1500  # the targets


def portal_env(data_dir: Path, **extra: str) -> dict:
    """Production settings with the embedded defaults in `data_dir` (no DATABASE_URL/CACHE_URL)."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "PORTAL_DATA_DIR": str(data_dir),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_LOG_LEVEL": "ERROR",
            "GUNICORN_ACCESS_LOG": str(data_dir / "access.log"),
            "GUNICORN_LOG_LEVEL": "warning",
            # The worker's process id first: which worker answered (shipped_gunicorn waits for all).
            "GUNICORN_CMD_ARGS": '--access-logformat "%(p)s %(m)s %(U)s %(s)s"',
            "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files here
            **extra,
        }
    )
    return env


def create_site(env: dict, fake: FakeBeyondTrust, *, rep_list_ttl: int = 30) -> None:
    manage(env, "migrate", "--no-input")
    manage(
        env,
        "shell",
        "-c",
        (
            "from portal.models import Backend, Site; "
            "backend = Backend.objects.create(name='Fake appliance', kind='modern', "
            f"base_url={fake.base_url!r}, "
            f"client_id={fake.client_id!r}, client_secret={fake.client_secret!r}); "
            f"Site.objects.create(name='Bench', is_default=True, backend=backend, show_rep_list=True, "
            f"rep_list_ttl={rep_list_ttl}, consent_text='')"
        ),
    )


@contextlib.contextmanager
def shipped_gunicorn(env: dict):
    """gunicorn with the repository's gunicorn.conf.py on a free loopback port; yields the port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        wait_for_workers(port, Path(env["GUNICORN_ACCESS_LOG"]), shipped_workers(env))
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def shipped_workers(env) -> int:
    """How many workers gunicorn.conf.py starts with this environment, read as it reads them
    (portal.conf.bounded_number: "0" or "1_000" is refused there, so here too)."""
    return bounded_number(env, "WEB_CONCURRENCY", max(2, os.cpu_count() or 1), at_least=1)


def shipped_threads(env) -> int:
    """How many threads each gunicorn.conf.py worker runs with this environment."""
    return bounded_number(env, "PORTAL_THREADS", 4, at_least=1)


def wait_for_workers(port: int, access_log: Path, workers: int, seconds: float = 30.0) -> None:
    """Until every worker has answered (one still loading the portal would skew the first
    second of a run); bounded in time and count."""
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(8) as pool:
        for _round in range(300):
            list(
                pool.map(
                    lambda _: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read(),
                    range(16),
                )
            )
            pids = (
                {line.split(" ", 1)[0] for line in access_log.read_text().splitlines()}
                if access_log.exists()
                else set()
            )
            if len(pids) >= workers or time.monotonic() > deadline:
                return
            time.sleep(0.1)


def key_start_body(port: int) -> dict:
    html = urllib.request.urlopen(f"http://127.0.0.1:{port}/key/", timeout=10).read().decode()
    found = re.search(r'name="ts" value="([^"]+)"', html)
    assert found, "the key page carries no form timestamp"
    return {"key": "123 4567", "ts": found.group(1), "website": "", "locale": "en-us", "tz": "60"}


@dataclass
class WrkResult:
    """What one wrk process measured (its Lua script counts 5xx and unexpected statuses)."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_errors: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        return {0.5: self.p50_ms, 0.99: self.p99_ms}[p]


def wrk_together(specs: list[dict], *, port: int, seconds: float) -> list[WrkResult]:
    """One wrk process per spec (name, path, clients, method, body, expect), all at once."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (or run without --load wrk)")
    script = ROOT / "bench" / "wrk" / "status_counts.lua"
    runs = []
    for spec in specs:
        env = {
            **os.environ,
            "BENCH_METHOD": spec.get("method", "GET"),
            "BENCH_EXPECT": str(spec.get("expect", 200)),
            "BENCH_ORIGIN": f"http://127.0.0.1:{port}",
        }
        if spec.get("body"):
            env["BENCH_BODY"] = urllib.parse.urlencode(spec["body"])
        command = [
            "wrk",
            "-t1",
            f"-c{spec['clients']}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{spec['path']}",
        ]
        runs.append((spec, command, subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)))
    results = []
    for spec, command, process in runs:
        out, _ = process.communicate(timeout=seconds + 60)
        line = next((row for row in out.splitlines() if row.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"wrk gave no result for {spec['path']}: {shlex.join(command)}\n{out}")
        values = dict(part.split("=") for part in line.split()[1:])
        results.append(
            WrkResult(
                name=spec["name"],
                requests=int(values["requests"]),
                seconds=max(1, round(seconds)),
                p50_ms=int(values["p50_us"]) / 1000,
                p99_ms=int(values["p99_us"]) / 1000,
                max_ms=int(values["max_us"]) / 1000,
                server_errors=int(values["server_errors"]),
                errors=int(values["unexpected"]) + int(values["socket_errors"]),
            )
        )
    return results


def report_line(result: Result | WrkResult) -> str:
    return (
        f"{result.name:<28} {result.requests:7d} requests {result.rps:8.1f} req/s   "
        f"p50 {result.percentile(0.5):7.1f} ms   p99 {result.percentile(0.99):7.1f} ms   "
        f"max {result.max_ms:7.1f} ms   5xx {result.server_errors}   other errors "
        f"{result.errors - result.server_errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8, help="per path")
    parser.add_argument("--healthy", action="store_true", help="control run: the appliance answers")
    parser.add_argument(
        "--load",
        choices=["python", "wrk"],
        default="python",
        help="the load generator: Python client processes, or wrk (lighter)",
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-hung-"))
    env = portal_env(data_dir, PORTAL_RATE_LIMIT="1000000000")
    try:
        with running(FakeBeyondTrust()) as fake:
            create_site(env, fake)
            with shipped_gunicorn(env) as port:
                body = key_start_body(port)
                if not args.healthy:
                    fake.hang()  # from now on it accepts, reads, and never answers
                reps: Result | WrkResult
                keys: Result | WrkResult
                if args.load == "wrk":
                    reps, keys = wrk_together(
                        [
                            dict(name="rep page       GET /reps/", path="/reps/", clients=args.clients),
                            dict(
                                name="key start     POST /key/",
                                path="/key/",
                                method="POST",
                                body=body,
                                expect=303,
                                clients=args.clients,
                            ),
                        ],
                        port=port,
                        seconds=args.seconds,
                    )
                else:
                    reps, keys = hammer_together(
                        [
                            dict(name="rep page       GET /reps/", path="/reps/", clients=args.clients),
                            dict(
                                name="key start     POST /key/",
                                path="/key/",
                                method="POST",
                                body_factory=lambda: body,
                                expect=303,
                                clients=args.clients,
                            ),
                        ],
                        host="127.0.0.1",
                        port=port,
                        seconds=args.seconds,
                    )
                final = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/reps.json", timeout=10).read().decode()
                )
            appliance_calls = len(fake.calls())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    workers, threads = shipped_workers(os.environ), shipped_threads(os.environ)
    print(
        f"\nHung appliance bench: gunicorn.conf.py ({workers} gthread workers x {threads} threads), "
        f"production settings, SQLite + shared disk cache, {args.clients} clients per path at once, "
        f"{args.seconds:g} s, {os.cpu_count()} cores, load by {args.load}; "
        + (
            "control run: the appliance answers"
            if args.healthy
            else "the appliance accepts and never answers"
        )
        + "\n"
    )
    for result in (reps, keys):
        print(report_line(result))
    print(
        f"\nappliance: {appliance_calls} requests received{'' if args.healthy else ' (none answered)'}; "
        f"/reps.json at the end: {final}"
    )
    ok = (
        keys.percentile(0.99) < KEY_P99_MS
        and reps.percentile(0.99) < REPS_P99_MS
        and reps.server_errors == keys.server_errors == 0
    )
    print(
        f"targets (key p99 < {KEY_P99_MS} ms, rep page p99 < {REPS_P99_MS} ms, no 5xx): "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
