"""Report: what the workers of one machine share with the embedded defaults (no Redis).

gunicorn as shipped (gunicorn.conf.py, with WEB_CONCURRENCY=3 gthread workers), production settings,
SQLite and the shared disk cache in a throwaway folder, the fake appliance (healthy) in this process,
the site's rep list TTL 600 s. Then: --clients clients load GET /reps/ for --seconds, and one
client sends 3 x PORTAL_RATE_LIMIT (30) key starts at once, as with per-worker counting in
3 workers it could have done. Prints how many workers answered, how often the appliance was
asked for its reps, how many OAuth tokens were minted, and how many starts were accepted.
tests/test_shared_state.py asserts the same; this prints the numbers.

    .venv/bin/python bench/worker_sharing.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hung_appliance import create_site, key_start_body, portal_env, shipped_gunicorn  # noqa: E402
from bench.load import hammer  # noqa: E402
from tests.fakes.beyondtrust import FakeBeyondTrust  # noqa: E402
from tests.fakes.server import running  # noqa: E402

RATE_LIMIT = 30  # the default PORTAL_RATE_LIMIT, per client and minute


def post(port: int, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/key/",
            body=urlencode(body),
            headers={
                "Host": "127.0.0.1",
                "Content-Type": "application/x-www-form-urlencoded",
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def workers_in(access_log: Path, method: str, path: str, status: int | None = None) -> set[str]:
    pids = set()
    for line in access_log.read_text().splitlines():
        parts = line.split(" ")
        if len(parts) == 4 and parts[1:3] == [method, path] and (status is None or parts[3] == str(status)):
            pids.add(parts[0])
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="portal-bench-sharing-"))
    access_log = data_dir / "access.log"
    # The rate window is long so the burst cannot straddle two windows.
    env = portal_env(
        data_dir,
        PORTAL_RATE_LIMIT=str(RATE_LIMIT),
        PORTAL_RATE_WINDOW="86400",
        GUNICORN_CMD_ARGS='--access-logformat "%(p)s %(m)s %(U)s %(s)s"',
        WEB_CONCURRENCY="3",
    )  # three workers, as the proof asks
    try:
        with running(FakeBeyondTrust()) as fake:
            create_site(env, fake, rep_list_ttl=600)
            with shipped_gunicorn(env) as port:
                reps = hammer(
                    "GET /reps/",
                    host="127.0.0.1",
                    port=port,
                    path="/reps/",
                    clients=args.clients,
                    seconds=args.seconds,
                )
                body = key_start_body(port)
                with ThreadPoolExecutor(3 * RATE_LIMIT) as pool:
                    answers = collections.Counter(pool.map(lambda _: post(port, body), range(3 * RATE_LIMIT)))
            fetches, tokens = fake.count("get_logged_in_reps"), fake.tokens_minted
        rep_workers = workers_in(access_log, "GET", "/reps/")
        start_workers = workers_in(access_log, "POST", "/key/", 303)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    print(
        "\nWorker sharing: gunicorn.conf.py (WEB_CONCURRENCY=3 gthread workers), embedded defaults "
        "(SQLite, shared disk cache), healthy fake appliance, rep list TTL 600 s\n"
    )
    print(
        f"rep pages: {reps.requests} in {reps.seconds:.0f} s ({reps.rps:.0f} req/s, errors {reps.errors}) "
        f"answered by {len(rep_workers)} workers"
    )
    print(f"appliance asked for its reps: {fetches} time(s); OAuth tokens minted: {tokens}")
    print(
        f"one client, {3 * RATE_LIMIT} key starts at once, limit {RATE_LIMIT}: "
        f"{answers[303]} accepted (by {len(start_workers)} workers), {answers[429]} refused (429), "
        f"other {sum(answers.values()) - answers[303] - answers[429]}"
    )


if __name__ == "__main__":
    main()
