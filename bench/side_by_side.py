"""Two portal servers up at once that differ only in their environment, measured in turns with wrk.

A change to how the server runs (a worker setting, an environment variable) is best judged side
by side: the same machine, the same minute, each path run against A and then B (B first in
every other round), so that a slow hour of the machine cannot pass for the change. Everything
else is `bench/wrk_bench.py`'s: gunicorn as shipped, production settings, the demo site on a
fake appliance, the same paths and wrk scripts, the same preflight.

    .venv/bin/python bench/side_by_side.py --a PORTAL_RUN_ALONE_MS=0 [--b NAME=VALUE ...]
        [--paths "bare,key start,survey start,API"] [--rounds 3] [--duration 8]
    .ci/services .venv/bin/python bench/side_by_side.py --setup services --a ...

With `--setup services` (PostgreSQL and Redis from .ci/services) B gets a database of its own
(`<name>_b`, created here) and the next Redis database. Prints, per path, round and server:
requests a second, p50, p99, errors and the server's CPU per request; then the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import wrk_bench as wb  # noqa: E402


def assignments(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"not NAME=VALUE: {item!r}")
        pairs[name] = value
    return pairs


def second_services(env: dict) -> dict:
    """B's own PostgreSQL database and Redis database, beside A's."""
    import psycopg

    database = urllib.parse.urlsplit(env["DATABASE_URL"])
    name = database.path.lstrip("/") + "_b"
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    cache = urllib.parse.urlsplit(env["CACHE_URL"])
    cache_db = int(cache.path.lstrip("/") or 0) + 1
    return {
        "DATABASE_URL": urllib.parse.urlunsplit(database._replace(path="/" + name)),
        "CACHE_URL": urllib.parse.urlunsplit(cache._replace(path=f"/{cache_db}")),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("a", "b"):
        parser.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"server {name.upper()}'s environment",
        )
    parser.add_argument("--setup", choices=["embedded", "services"], default="embedded")
    parser.add_argument(
        "--paths",
        default="bare Django view,key start,survey start,API",
        help="comma-separated beginnings of wrk_bench's path names",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per path, server and round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per path and server before round 1")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 60:
        parser.error("--rounds 1..20, --duration 1..120 s, --warmup 0..60 s")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk missing: install Debian's package (apt-get install wrk)")
    extra = {"A": assignments(args.a), "B": assignments(args.b)}
    # wrk_bench's own options, as `make bench` runs them: workers and threads as shipped
    options = wb.parse_args(["--rounds", str(args.rounds), "--duration", str(args.duration)])
    work = Path(tempfile.mkdtemp(prefix="portal-side-"))
    from tests.fakes.beyondtrust import FakeBeyondTrust
    from tests.fakes.server import running

    try:
        with ExitStack() as stack:
            fake = stack.enter_context(running(FakeBeyondTrust()))
            servers = {}
            for name in ("A", "B"):
                env = wb.portal_env(args.setup, work / name / "data", work / name / "static")
                if args.setup == "services" and name == "B":
                    env.update(second_services(env))
                env.update(extra[name])
                demo = wb.load_demo(env, fake)
                port = wb.free_port()
                command = wb.gunicorn_command(
                    sys.executable, "bench.wsgi", port, options, config=ROOT / "gunicorn.conf.py"
                )
                proc = wb.start_server(
                    stack,
                    command,
                    cwd=ROOT,
                    env=env,
                    log=work / f"{name}.log",
                    probe=f"http://127.0.0.1:{port}/bench/bare/",
                )
                base = f"http://127.0.0.1:{port}"
                wanted = [p.strip() for p in args.paths.split(",") if p.strip()]
                plan = [
                    t
                    for t in wb.targets(base, demo, wb.static_file(work / name / "static"))
                    if t.server == "portal" and any(t.name.startswith(w) for w in wanted)
                ]
                if not plan:
                    raise SystemExit(f"no path starts with any of {wanted}")
                for target in plan:
                    wb.preflight(target, base)
                    if args.warmup:
                        wb.run_wrk(
                            target,
                            base,
                            args=options,
                            duration=args.warmup,
                            watch_pid=proc.pid,
                            services_pids=[],
                        )
                servers[name] = {"base": base, "pid": proc.pid, "plan": plan}
            print(f"A: {extra['A'] or 'as shipped'}; B: {extra['B'] or 'as shipped'}; setup {args.setup}")
            print(
                f"wrk -t{options.wrk_threads} -c{options.connections} -d{args.duration}s, "
                f"{args.rounds} rounds, gunicorn {options.workers} x {options.threads}",
                f"({options.worker_class})",
            )
            results: dict[tuple[str, str], list] = {}
            for number in range(args.rounds):
                order = ["A", "B"] if number % 2 == 0 else ["B", "A"]
                for index, target in enumerate(servers["A"]["plan"]):
                    for name in order:
                        server = servers[name]
                        own = server["plan"][index]
                        sample = wb.run_wrk(
                            own,
                            server["base"],
                            args=options,
                            duration=args.duration,
                            watch_pid=server["pid"],
                            services_pids=[],
                        )
                        results.setdefault((target.name, name), []).append(sample)
                        cpu = sample.server_ticks * 1000 / wb.CLK_TCK / max(sample.requests, 1)
                        print(
                            f"round {number + 1} {name} {target.name}: {sample.rps:.0f} req/s, "
                            f"p50 {sample.p50_ms:.1f} ms, p99 {sample.p99_ms:.1f} ms, "
                            f"errors {sample.errors}, CPU {cpu:.2f} ms/req",
                            flush=True,
                        )
            print("\n| path | A req/s | A p99 ms | B req/s | B p99 ms | B/A req/s |")
            print("|---|---:|---:|---:|---:|---:|")
            for target in servers["A"]["plan"]:
                a, b = results[(target.name, "A")], results[(target.name, "B")]
                a_rps = statistics.median(s.rps for s in a)
                b_rps = statistics.median(s.rps for s in b)
                print(
                    f"| {target.name} | {a_rps:.0f} | {statistics.median(s.p99_ms for s in a):.1f} "
                    f"| {b_rps:.0f} | {statistics.median(s.p99_ms for s in b):.1f} | {b_rps / a_rps:.2f} |"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
