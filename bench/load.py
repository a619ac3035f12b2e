"""A small closed-loop HTTP load generator for the bench scripts (loopback only).

Each worker process keeps one connection and sends requests back to back for a fixed time;
counts and latencies come back to the parent. Bounded in time and count by construction.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import time
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def line(self) -> str:
        return (f"{self.name:<34} {self.rps:8.1f} req/s   p50 {self.percentile(0.5):7.1f} ms   "
                f"p99 {self.percentile(0.99):7.1f} ms   errors {self.errors}")


def _worker(host, port, method, path, body_factory, expect, seconds, max_requests, queue):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    latencies, errors, count = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and count < max_requests:
        body = body_factory() if body_factory else None
        headers = {"Host": "127.0.0.1"}
        if body is not None:
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != expect:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append(time.perf_counter() - start)
        count += 1
    queue.put((count, errors, latencies))


def hammer(name, *, host, port, path, method="GET", body_factory=None, expect=200, clients=8,
           seconds=5.0, max_requests=200_000) -> Result:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(host, port, method, path, body_factory, expect, seconds,
                                               max_requests, queue)) for _ in range(clients)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join(timeout=10)
    latencies = [lat for _c, _e, lats in results for lat in lats]
    return Result(name, sum(c for c, _e, _l in results), sum(e for _c, e, _l in results), elapsed, latencies)


def summary(results: list[Result]) -> str:
    return "\n".join(r.line() for r in results)

