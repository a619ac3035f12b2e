"""Customers through a Redis outage: key starts and the landing page under wrk while Redis is
up, hung, back, killed and started again (docs/decisions/0101-serving-through-a-redis-outage.md).

gunicorn as shipped (`gunicorn.conf.py`, production settings), the demo site on a fake
appliance (as `wrk_bench.py` sets it up), SQLite for the database and a `redis-server` of this
script's own on 127.0.0.1 as the cache (Debian's redis-server package). Each phase runs wrk on
each path for `--duration` seconds:

1. `up`: Redis answers;
2. `hung`: Redis stopped with SIGSTOP: it takes connections and never answers (the first call
   of each worker waits `PORTAL_REDIS_TIMEOUT`, 1 s);
3. `back`: SIGCONT, after /readyz has said "ok" again (the workers' retry threads heard it);
4. `down`: Redis killed: connections are refused;
5. `restarted`: a new redis-server on the same port, after /readyz has said "ok" again.

Printed per phase and path: requests a second, p50, p99 and errors (sockets,
timeouts, any status but the one expected); and how long the workers took to use Redis again.

    make install EXTRAS=test,build,redis   # the Redis client
    .venv/bin/python bench/redis_outage.py [--duration 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk_bench  # noqa: E402

PATHS = ("landing GET /", "key start POST /key/ → 303")
READY_SECONDS = 60  # bound on waiting for the workers to use Redis again


def start_redis(stack: ExitStack, port: int, directory: Path) -> subprocess.Popen:
    """redis-server on 127.0.0.1:port without persistence, once it takes connections."""
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(directory)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack.callback(lambda: (process.kill(), process.wait(timeout=10)))
    assert process.stdout is not None
    for line in process.stdout:
        if "Ready to accept connections" in line:
            return process
    raise SystemExit(f"redis-server on {port} did not start")


def readyz(base: str) -> dict:
    with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
        return json.loads(response.read())


def wait_for_redis(base: str, workers: int) -> float:
    """Seconds until /readyz says "ok" as many times in a row as there are workers, times two
    (each request may reach either worker)."""
    started, in_a_row = time.monotonic(), 0
    while time.monotonic() - started < READY_SECONDS:
        in_a_row = in_a_row + 1 if readyz(base).get("cache") == "ok" else 0
        if in_a_row >= 2 * workers:
            return time.monotonic() - started
        time.sleep(0.1)
    raise SystemExit("the workers did not use Redis again within READY_SECONDS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per phase and path")
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()
    if shutil.which("redis-server") is None or shutil.which("wrk") is None:
        raise SystemExit("needs Debian's redis-server and wrk")
    try:
        import redis  # noqa: F401
    except ImportError:
        raise SystemExit("needs the redis extra: make install EXTRAS=test,build,redis") from None
    args = wrk_bench.parse_args(
        ["--connections", str(options.connections), "--duration", str(options.duration)]
    )

    from tests.fakes.beyondtrust import FakeBeyondTrust
    from tests.fakes.server import running

    work = Path(tempfile.mkdtemp(prefix="portal-redis-outage-"))
    results: list[tuple[str, str, wrk_bench.Sample]] = []
    recoveries: dict[str, float] = {}
    try:
        with ExitStack() as stack:
            redis_port = wrk_bench.free_low_port()
            redis = start_redis(stack, redis_port, work)
            fake = stack.enter_context(running(FakeBeyondTrust()))
            env = wrk_bench.portal_env("embedded", work / "data", work / "static")
            env["CACHE_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            demo = wrk_bench.load_demo(env, fake)
            portal, base = wrk_bench.start_portal(stack, env, args, work / "portal.log")
            plan = [t for t in wrk_bench.targets(base, demo, "/") if t.name in PATHS]

            def phase(name: str) -> None:
                print(f"redis outage: {name}", flush=True)
                for target in plan:
                    sample = wrk_bench.run_wrk(
                        target,
                        base,
                        args=args,
                        duration=args.duration,
                        watch_pid=portal.pid,
                        services_pids=[],
                    )
                    results.append((name, target.name, sample))

            for target in plan:
                wrk_bench.preflight(target, base)
            phase("up")
            redis.send_signal(signal.SIGSTOP)
            phase("hung")
            redis.send_signal(signal.SIGCONT)
            recoveries["back"] = wait_for_redis(base, args.workers)
            phase("back")
            redis.kill()
            redis.wait(timeout=10)
            phase("down")
            start_redis(stack, redis_port, work)
            recoveries["restarted"] = wait_for_redis(base, args.workers)
            phase("restarted")
            log = (work / "portal.log").read_text()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s per phase and path; gunicorn "
        f"{args.workers} workers x {args.threads} threads, SQLite + Redis"
    )
    print()
    print("| phase | path | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|")
    for name, path, sample in results:
        cells = (
            name,
            path,
            f"{sample.rps:.0f}",
            f"{sample.p50_ms:.1f}",
            f"{sample.p99_ms:.1f}",
            sample.errors,
        )
        print("| " + " | ".join(map(str, cells)) + " |")
    print()
    for name, seconds in recoveries.items():
        print(f"Redis used again by every worker {seconds:.1f} s after it answered ({name}).")
    print(f"Outage log lines: {log.count('did not answer')} began, {log.count('answers again')} ended.")


if __name__ == "__main__":
    main()
