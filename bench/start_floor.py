"""What a start would cost without each of its parts: the floor under issue 10's start targets.

In process (no server, no sockets: bench/inprocess.py), production settings, a throwaway
SQLite database and disk cache, one site on a BeyondTrust backend with one issue (the setup of
bench/starts.py). It measures the CPU per request (`time.process_time`, kernel time included)
of the bare view and of a key start and a survey start (POST -> 303), as shipped and with parts
of the start replaced by no-ops **in this process only**:

- `record`: the start record (`services.record_start`: the cached endpoint check and the
  INSERT);
- `counter`: the per-client rate-limit counter (`guards.rate_limited`: one statement on the
  disk cache);
- `timestamp`: the signed form timestamp's check (`guards._signer.unsign`);
- `all three`.

A start can do without none of them; the point is the ratio each would leave. If a key start
with no record at all is still far under 0.7 of the bare view, no cheaper record gets it there.
The variants take turns (their order rotates each round) and the bare view is measured in
every round; the medians are printed, in a fixed order.

    .venv/bin/python bench/start_floor.py [--requests 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import environ, production_settings, timed  # noqa: E402
from bench.starts import FLOWS, SETUP  # noqa: E402

VARIANTS = ("as shipped", "no record", "no counter", "no timestamp check", "none of the three")


@contextlib.contextmanager
def without(variant: str) -> Iterator[None]:
    """Replaces the variant's parts by no-ops for the block (this process only)."""
    from portal import guards, services

    saved = (services.record_start, guards.rate_limited, guards._signer.unsign)
    if variant in ("no record", "none of the three"):
        services.record_start = lambda **_fields: None
    if variant in ("no counter", "none of the three"):
        guards.rate_limited = lambda request, *, scope: 0
    if variant in ("no timestamp check", "none of the three"):
        guards._signer.unsign = lambda value, max_age=None: "form"  # type: ignore[method-assign]
    try:
        yield
    finally:
        services.record_start, guards.rate_limited, guards._signer.unsign = saved


def post(path: str, fields: dict[str, str]) -> Callable[[int], dict]:
    from django.core import signing

    from portal import guards

    stamp = signing.TimestampSigner(salt=guards.FORM_SALT).sign("form")
    body = urlencode({guards.TIMESTAMP_FIELD: stamp, guards.HONEYPOT_FIELD: "", **fields}).encode()

    def request(_n: int) -> dict:
        env = environ(path, headers={"HTTP_ORIGIN": "http://127.0.0.1"})
        env.update(
            REQUEST_METHOD="POST",
            CONTENT_TYPE="application/x-www-form-urlencoded",
            CONTENT_LENGTH=str(len(body)),
        )
        env["wsgi.input"] = io.BytesIO(body)
        return env

    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per path, variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    data = production_settings("portal-start-floor-", PORTAL_RATE_LIMIT=str(10**9))
    try:
        import django
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        exec(SETUP, {})  # noqa: S102  (bench/starts.py's site, backend and issue)
        app = WSGIHandler()
        starts = {flow: post(path, fields) for flow, (path, fields) in FLOWS.items()}

        def cpu_ms(request: Callable[[int], dict], expect: str, count: int) -> float:
            done, seconds = timed(
                app, request, 600, limit=count, batch=50, expect=expect, clock=time.process_time
            )
            return seconds / done * 1000

        bare = lambda _n: environ("/bench/bare/")  # noqa: E731
        cpu_ms(bare, "200", 500)  # warm: the site, its issue, the pages are cached
        for request in starts.values():
            cpu_ms(request, "303", 500)
        results: dict[tuple[str, str], list[float]] = {}
        for number in range(args.rounds):
            results.setdefault(("bare view", ""), []).append(cpu_ms(bare, "200", args.requests))
            for variant in VARIANTS[number % len(VARIANTS) :] + VARIANTS[: number % len(VARIANTS)]:
                with without(variant):
                    for flow, request in starts.items():
                        results.setdefault((flow, variant), []).append(cpu_ms(request, "303", args.requests))
        floor = statistics.median(results[("bare view", "")])
        print(f"{'bare view':36} {floor:6.3f} ms CPU   1.00 of the bare view's rate")
        for flow, variant in ((flow, variant) for flow in starts for variant in VARIANTS):
            median = statistics.median(results[(flow, variant)])
            label = f"{flow} start, {variant}"
            print(f"{label:36} {median:6.3f} ms CPU   {floor / median:4.2f} of the bare view's rate")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
