"""Customers beside slow clients: the key page's latency while an attacker keeps opening
connections that send part of a request and then nothing (slowloris, with reconnects), under
gunicorn as shipped (docs/decisions/0102-request-heads-read-on-the-loop.md).

The demo site as `wrk_bench.py` sets it up (embedded setup, production settings). Each mode runs
`--seconds`: every `--period` seconds the attacker opens `--connections` sockets that each send

- `head`: `GET / HTTP/1.1\\r\\n` and nothing more;
- `idle`: nothing at all;
- `body`: a whole head announcing a 100-byte form and 3 bytes of it;

and keeps each open for 16 s (past the head's 15 s deadline), while 3 customers ask for
`/key/` one after another (0.2 s apart). `none` is the same customers without an attacker.
Printed per mode: answers, median, p90 and slowest latency, and how many took over 5 s.

    .venv/bin/python bench/slow_clients.py [--seconds 30] [--connections 10] [--period 5]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk_bench  # noqa: E402

MODES = ("none", "head", "idle", "body")
OPENING = {
    "head": b"GET / HTTP/1.1\r\n",
    "idle": b"",
    "body": (
        b"POST /key/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100\r\n\r\nts="
    ),
}
HELD_SECONDS = 16  # past PORTAL_REQUEST_HEAD_SECONDS (15)
CUSTOMERS = 3


def attack(port: int, mode: str, count: int, period: float, until: float) -> None:
    """Every `period` seconds, `count` new slow connections, each closed HELD_SECONDS later."""
    held: list[tuple[float, socket.socket]] = []
    while time.monotonic() < until:
        for _ in range(count):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                if OPENING[mode]:
                    connection.sendall(OPENING[mode])
                held.append((time.monotonic() + HELD_SECONDS, connection))
            except OSError:
                pass
        next_batch = time.monotonic() + period
        while time.monotonic() < min(next_batch, until):
            now = time.monotonic()
            for entry in [entry for entry in held if entry[0] <= now]:
                entry[1].close()
                held.remove(entry)
            time.sleep(0.1)
    for _deadline, connection in held:
        connection.close()


def customer(base: str, until: float, latencies: list[float]) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/key/", timeout=40) as response:
                response.read()
        except OSError:
            pass
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)


def run_mode(port: int, mode: str, args) -> list[float]:
    until = time.monotonic() + args.seconds
    latencies: list[float] = []
    threads = [
        threading.Thread(target=customer, args=(f"http://127.0.0.1:{port}", until - 1, latencies))
        for _ in range(CUSTOMERS)
    ]
    if mode != "none":
        threads.append(
            threading.Thread(target=attack, args=(port, mode, args.connections, args.period, until))
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--period", type=float, default=5)
    args = parser.parse_args()
    options = wrk_bench.parse_args([])

    from tests.fakes.beyondtrust import FakeBeyondTrust
    from tests.fakes.server import running

    work = Path(tempfile.mkdtemp(prefix="portal-slow-clients-"))
    results = {}
    try:
        with ExitStack() as stack:
            fake = stack.enter_context(running(FakeBeyondTrust()))
            env = wrk_bench.portal_env("embedded", work / "data", work / "static")
            wrk_bench.load_demo(env, fake)
            _portal, base = wrk_bench.start_portal(stack, env, options, work / "portal.log")
            for mode in MODES:
                print(f"slow clients: {mode}", flush=True)
                results[mode] = run_mode(base, mode, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"gunicorn {options.workers} workers x {options.threads} threads; {args.connections} slow "
        f"connections every {args.period:g} s, each held {HELD_SECONDS} s; {CUSTOMERS} customers on "
        f"/key/, {args.seconds:g} s per mode"
    )
    print()
    print("| attacker | answers | median s | p90 s | slowest s | over 5 s |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, latencies in results.items():
        if not latencies:
            print(f"| {mode} | 0 | – | – | – | – |")
            continue
        p90 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.9))]
        cells = (
            mode,
            len(latencies),
            f"{statistics.median(latencies):.2f}",
            f"{p90:.2f}",
            f"{latencies[-1]:.2f}",
            sum(latency > 5 for latency in latencies),
        )
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
