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
    server_errors: int = 0  # answers with a 5xx status

    @property
    def max_ms(self) -> float:
        return max(self.latencies, default=0.0) * 1000

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rps:8.1f} req/s   p50 {self.percentile(0.5):7.1f} ms   "
            f"p99 {self.percentile(0.99):7.1f} ms   errors {self.errors}"
        )


def _worker(host, port, method, path, body_factory, expect, seconds, max_requests, queue):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    latencies, errors, count, server_errors = [], 0, 0, 0
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
            if response.status >= 500:
                server_errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append(time.perf_counter() - start)
        count += 1
    queue.put((count, errors, latencies, server_errors))


def hammer(
    name,
    *,
    host,
    port,
    path,
    method="GET",
    body_factory=None,
    expect=200,
    clients=8,
    seconds=5.0,
    max_requests=200_000,
) -> Result:
    return hammer_together(
        [
            dict(
                name=name, path=path, method=method, body_factory=body_factory, expect=expect, clients=clients
            )
        ],
        host=host,
        port=port,
        seconds=seconds,
        max_requests=max_requests,
    )[0]


def hammer_together(specs: list[dict], *, host, port, seconds=5.0, max_requests=200_000) -> list[Result]:
    """Several kinds of client at the same time: each spec (name, path, method, body_factory,
    expect, clients) gets its own client processes; one Result per spec."""
    ctx = mp.get_context("fork")
    runs = []
    for spec in specs:
        queue = ctx.Queue()
        procs = [
            ctx.Process(
                target=_worker,
                args=(
                    host,
                    port,
                    spec.get("method", "GET"),
                    spec["path"],
                    spec.get("body_factory"),
                    spec.get("expect", 200),
                    seconds,
                    max_requests,
                    queue,
                ),
            )
            for _ in range(spec.get("clients", 8))
        ]
        runs.append((spec, queue, procs))
    start = time.perf_counter()
    for _spec, _queue, procs in runs:
        for p in procs:
            p.start()
    collected = [[queue.get(timeout=seconds + 60) for _ in procs] for _spec, queue, procs in runs]
    elapsed = time.perf_counter() - start
    for _spec, _queue, procs in runs:
        for p in procs:
            p.join(timeout=10)
    return [
        Result(
            spec["name"],
            sum(r[0] for r in results),
            sum(r[1] for r in results),
            elapsed,
            [lat for r in results for lat in r[2]],
            sum(r[3] for r in results),
        )
        for (spec, _queue, _procs), results in zip(runs, collected, strict=True)
    ]


def summary(results: list[Result]) -> str:
    return "\n".join(r.line() for r in results)
