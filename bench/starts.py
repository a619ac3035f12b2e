"""Benchmark: what a start costs (issue 10): POST /key/ and POST /survey/ -> 303.

Two ways, both with production settings, a throwaway on-disk SQLite database (WAL, as shipped)
and one site on a BeyondTrust backend with one issue:

* `inprocess` (default): Django's test client in this process, one start after another. Per
  flow it prints the SQL statements one start runs (and which), the mean / p50 / p99 time of a
  start, and with `--profile` the functions a start spends its time in (cProfile).
* `gunicorn`: gunicorn as shipped (gunicorn.conf.py: 2 workers x 4 threads unless
  WEB_CONCURRENCY / PORTAL_THREADS say otherwise) on 127.0.0.1, then wrk with
  bench/wrk/key_start.lua or survey_start.lua (every answer but 303 is counted as wrong).
  `--endpoint` subscribes a webhook endpoint to start events first (the slow path: the event,
  its delivery and its task are written with the start).

Everything it starts is stopped; nothing leaves loopback.

    .venv/bin/python bench/starts.py [--mode inprocess|gunicorn|both] [--starts 400]
        [--seconds 10] [--connections 16] [--endpoint] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETUP = """
from portal.models import Backend, FieldMode, Issue, Site
backend = Backend.objects.create(name="Appliance", kind="modern", base_url="https://support.example.com")
site = Site.objects.create(name="Acme", is_default=True, backend=backend, keep_personal_data=True,
                           external_key_field=FieldMode.OPTIONAL, details_field=FieldMode.OPTIONAL)
Issue.objects.create(site=site, code_name="printing", display_name="Printing", order=1)
"""
ENDPOINT = """
from portal.models import Site
from portal.webhooks.models import Endpoint
Endpoint.objects.create(site=Site.objects.get(), name="Help desk", url="https://127.0.0.1:9/hook",
                        secret="s" * 32, events=["start.started", "start.refused", "start.failed"])
"""
FLOWS = {
    "key": ("/key/", {"key": "123 4567", "locale": "en-us", "tz": "60"}),
    "survey": (
        "/survey/",
        {
            "issue": "printing",
            "name": "Jane Doe",
            "details": "Printer offline",
            "locale": "en-us",
            "tz": "60",
        },
    ),
}


def environment(data_dir: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "PORTAL_DATA_DIR": data_dir,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "PORTAL_RATE_LIMIT": "1000000000",
            "PORTAL_LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "PYTHONWARNINGS": "ignore::UserWarning",
        }
    )
    return env


def prepare(env: dict[str, str], *, endpoint: bool) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "shell", "-c", SETUP + (ENDPOINT if endpoint else "")], env=env, check=True, cwd=ROOT
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def in_process(env: dict[str, str], *, starts: int, profile: bool) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core import signing
    from django.db import connection
    from django.test import Client

    from portal import guards

    timestamp = signing.TimestampSigner(salt=guards.FORM_SALT).sign("form")
    guard = {guards.TIMESTAMP_FIELD: timestamp, guards.HONEYPOT_FIELD: ""}
    client = Client(HTTP_HOST="127.0.0.1")
    assert not settings.DEBUG
    for flow, (path, fields) in FLOWS.items():
        # Encoded as a browser's form is (and as wrk's scripts send it): the test client's
        # default, multipart, costs several times as much to parse.
        data = urlencode({**guard, **fields})
        form = "application/x-www-form-urlencoded"
        for _ in range(20):  # warm: the site, its issues and the pages are cached
            assert client.post(path, data, content_type=form).status_code == 303, flow
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            assert client.post(path, data, content_type=form).status_code == 303
        times, cpu = [], []
        profiler = cProfile.Profile() if profile else None
        for _ in range(starts):
            began, began_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            response = client.post(path, data, content_type=form)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            assert response.status_code == 303
        # CPU time is what a start costs this process; wall time adds whatever else the machine
        # runs (on a shared machine, compare the CPU column).
        print(
            f"{flow:6} in-process: {len(queries)} SQL statements a start; CPU mean "
            f"{statistics.mean(cpu):.2f} ms, p50 {percentile(cpu, 0.5):.2f} ms; wall mean "
            f"{statistics.mean(times):.2f} ms, p50 {percentile(times, 0.5):.2f} ms, "
            f"p99 {percentile(times, 0.99):.2f} ms over {starts} starts"
        )
        for sql in queries:
            print(f"         {sql[:150]}")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"portal/|sqlite|db/backends", 40)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def under_gunicorn(env: dict[str, str], *, seconds: float, connections: int) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing (apt-get install wrk)")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        for line in server.stderr:  # gunicorn says when it listens; early requests wait in the backlog
            if "Listening at" in line:
                break
        threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe drained
        os.environ.update(env)
        import django

        django.setup()
        from django.core import signing

        from portal import guards

        timestamp = signing.TimestampSigner(key=env["DJANGO_SECRET_KEY"], salt=guards.FORM_SALT).sign("form")
        origin = f"http://127.0.0.1:{port}"
        for flow in FLOWS:
            script = ROOT / "bench" / "wrk" / f"{flow}_start.lua"
            # A short run first, not counted: every worker has loaded the portal and cached the site.
            warm = [wrk, "-t2", f"-c{connections}", "-d2s", "-s", str(script)]
            subprocess.run([*warm, origin + "/", "--", timestamp, origin], capture_output=True, check=True)
            run = [wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script)]
            output = subprocess.run(
                [*run, origin + "/", "--", timestamp, origin], capture_output=True, text=True, check=True
            ).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)
            p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)
            p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)
            wrong = re.search(r"wrong_status (\d+)", output)
            errors = re.search(r"Socket errors:.*", output)
            print(
                f"{flow:6} gunicorn: {rps} starts/s, p50 {p50}, p99 {p99}, "
                f"not 303: {wrong.group(1) if wrong else '?'}{', ' + errors.group(0) if errors else ''}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["inprocess", "gunicorn", "both"], default="inprocess")
    parser.add_argument("--starts", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--endpoint", action="store_true", help="a webhook endpoint subscribed to starts")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="portal-starts-")
    try:
        env = environment(data_dir)
        prepare(env, endpoint=args.endpoint)
        if args.mode in ("gunicorn", "both"):
            under_gunicorn(env, seconds=args.seconds, connections=args.connections)
        if args.mode in ("inprocess", "both"):
            in_process(env, starts=args.starts, profile=args.profile)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
