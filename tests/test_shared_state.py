"""One host shares its state by default: real gunicorn, as shipped (gunicorn.conf.py: 3 gthread
workers), production settings, the embedded default cache (diskcache in a throwaway folder),
a throwaway SQLite database and the fake appliance, all on 127.0.0.1.

Which worker served a request comes from gunicorn's own access log (its process id), so every
check below also checks that more than one worker took part; loops are bounded in count.
What is proven: one OAuth token for all workers, one rep-list fetch per TTL however many
requests reach however many workers, the per-client start limit counted once per client
(concurrent POSTs of one client: exactly the limit is accepted, whichever workers take them),
and an API token revoked from another process refused by every worker that had it memoised.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal.cache_backend import SharedDiskCache
from portal.caching import SITE_CACHE_VERSION_KEY
from portal.models import Backend
from portal.selectors import rep_list_cache_key
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3  # set through WEB_CONCURRENCY below; the shipped default is one per core
RATE_LIMIT = 5

pytestmark = pytest.mark.gunicorn  # in make test like every unmarked test; -m gunicorn runs only these
REP_LIST_TTL = 600  # the longest the admin allows: no refresh falls due during the test
START_SECONDS = 30  # bounds for waiting on processes; the test itself takes a few seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    """The running server: requests on fresh connections, and who served them."""

    def __init__(self, port: int, access_log: Path, env: dict[str, str]):
        self.port, self.access_log, self.env = port, access_log, env
        self.answered = 0  # requests answered so far: each has its line in the access log
        self._lock = threading.Lock()

    def request(
        self, method: str, path: str, body: dict | None = None, client: str = "", token: str = ""
    ) -> tuple[int, str]:
        headers = {"Host": "127.0.0.1", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client:
            headers["X-Forwarded-For"] = client
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=START_SECONDS)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.read().decode()
        finally:
            connection.close()
        with self._lock:
            self.answered += 1
        return answer

    def served(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, method, path, status) of every request logged so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [
            (int(pid.strip("<>")), method, path, int(status))
            for pid, method, path, status in (line.split(" ", 3) for line in lines if line.count(" ") == 3)
        ]

    def served_by(self, count: int) -> list[tuple[int, str, str, int]]:
        """The last `count` requests, once every answered request is in the log (a worker
        writes its line just after it answered)."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            lines = self.served()
            if len(lines) >= self.answered:
                return lines[-count:]
            time.sleep(0.02)
        raise AssertionError("gunicorn's access log lacks lines")


@pytest.fixture(scope="module")
def gunicorn():
    """gunicorn with gunicorn.conf.py on a random port, and the fake appliance."""
    data = Path(tempfile.mkdtemp(prefix="portal-workers-"))
    env = {key: value for key, value in os.environ.items() if key not in {"CACHE_URL", "DATABASE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_DATA_DIR": str(data),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_LOG_LEVEL": "ERROR",
            "PORTAL_RATE_LIMIT": str(RATE_LIMIT),
            "PORTAL_RATE_WINDOW": "86400",
            "PORTAL_API_RATE_LIMIT": "100000",
            # Three workers, as the proof asks (the shipped default is one per core).
            "WEB_CONCURRENCY": str(WORKERS),
            "PORTAL_TRUSTED_PROXY_HEADERS": "true",
            "PORTAL_TRUSTED_PROXY_COUNT": "1",
            # The request that starts a refresh waits for it, so "who refreshed" is "who answered".
            "PORTAL_VENDOR_WAIT": "10",
            "GUNICORN_ACCESS_LOG": str(data / "access.log"),
            # The worker's process id first: which worker served which request.
            "GUNICORN_CMD_ARGS": '--access-logformat "%(p)s %(m)s %(U)s %(s)s"',
            "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files here
        }
    )
    with running(FakeBeyondTrust()) as fake:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                (
                    "from django.core.management import call_command; call_command('migrate', verbosity=0); "
                    "from portal.models import Backend, Site; "
                    "backend = Backend.objects.create(name='Fake', kind='modern', "
                    f"base_url={fake.base_url!r}, "
                    f"client_id={fake.client_id!r}, client_secret={fake.client_secret!r}); "
                    "Site.objects.create(name='Acme', is_default=True, backend=backend, "
                    f"rep_list_ttl={REP_LIST_TTL}, "
                    "consent_text='')"
                ),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=START_SECONDS,
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            portal = Portal(port, data / "access.log", env)
            # gunicorn says when it listens (an event on its log, not a poll); requests made
            # before a worker runs wait in the backlog. EOF first means it died.
            for line in server.stderr:
                if b"Listening at" in line:
                    break
            else:
                raise AssertionError("gunicorn did not start")
            threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe drained
            assert portal.request("GET", "/healthz")[0] == 200
            yield portal, fake, data / "cache"
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=START_SECONDS)
            shutil.rmtree(data, ignore_errors=True)


def worker_pids(portal: Portal) -> set[int]:
    return {pid for pid, *_rest in portal.served()}


def test_the_shipped_configuration_runs_three_gthread_workers(gunicorn):
    portal, _fake, _cache = gunicorn
    deadline = time.monotonic() + START_SECONDS  # a worker still loading the portal answers later
    with ThreadPoolExecutor(12) as pool:
        for _round in range(200):  # until every worker has answered; bounded in time and count
            list(pool.map(lambda _: portal.request("GET", "/healthz"), range(24)))
            portal.served_by(0)
            if len(worker_pids(portal)) == WORKERS or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert len(worker_pids(portal)) == WORKERS


def test_one_rep_list_fetch_per_ttl_and_one_token_for_every_worker(gunicorn):
    portal, fake, cache_dir = gunicorn
    assert portal.request("GET", "/reps.json")[1].count('"state": "ok"') == 1  # the first fill
    assert (fake.count("get_logged_in_reps"), fake.tokens_minted) == (1, 1)

    # Many customers, every worker: the list comes from the shared cache.
    with ThreadPoolExecutor(12) as pool:
        pages = list(pool.map(lambda _: portal.request("GET", "/reps/"), range(90)))
    assert all(
        status == 200
        and 'value="12"><span class="tile-initials" aria-hidden="true">AK</span>'
        '<span class="tile-text"><span class="tile-name">Alex K.</span>'
        in page
        for status, page in pages
    )
    reps_workers = {pid for pid, method, path, _status in portal.served_by(90) if path == "/reps/"}
    assert len(reps_workers) >= 2
    assert fake.count("get_logged_in_reps") == 1

    # The list is dropped (as when its TTL runs out) again and again: whichever worker gets the
    # next customer refreshes it, with the one token all share. A worker holds the list it read
    # for a second (docs/decisions/0088-rep-list-in-the-process-memo.md) and would not see the
    # shared entry go; a TTL's end it would see (the TTL is checked on each read of the copy),
    # but this test cannot move the workers' clocks. A new site version drops every worker's
    # copy at once instead, as an admin change does.
    shared = SharedDiskCache(str(cache_dir), {"SHARDS": 8, "DATABASE_TIMEOUT": 0.05})
    rep_list_key = rep_list_cache_key(Backend(pk=1, base_url=fake.base_url))  # the only backend
    assert shared.get(rep_list_key) is not None
    refreshers, refreshes = set(), 0
    while len(refreshers) < 2 and refreshes < 30:
        assert shared.delete(rep_list_key)
        shared.set(SITE_CACHE_VERSION_KEY, secrets.token_hex(16), None)
        status, body = portal.request("GET", "/reps.json")
        assert status == 200 and '"state": "ok"' in body
        [(pid, _method, path, _status)] = portal.served_by(1)
        assert path == "/reps.json"
        refreshers.add(pid)
        refreshes += 1
    assert len(refreshers) >= 2  # two workers refreshed ...
    assert fake.count("get_logged_in_reps") == 1 + refreshes
    assert fake.tokens_minted == 1  # ... with the same token


def test_the_start_limit_counts_each_client_once_across_workers(gunicorn):
    portal, _fake, _cache = gunicorn
    page = portal.request("GET", "/key/")[1]
    timestamp = re.search(r'name="ts" value="([^"]+)"', page).group(1)
    start = {"key": "123 4567", "ts": timestamp, "website": "", "locale": "en-us", "tz": "60"}
    for client in range(1, 11):  # until a client's starts landed on several workers; bounded
        address = f"203.0.113.{client}"
        with ThreadPoolExecutor(2 * RATE_LIMIT) as pool:
            answers = list(
                pool.map(
                    lambda _, address=address: portal.request("POST", "/key/", start, client=address)[0],
                    range(2 * RATE_LIMIT),
                )
            )
        # Ten at once from one client: exactly the limit is accepted, the rest refused.
        assert sorted(answers) == [303] * RATE_LIMIT + [429] * RATE_LIMIT
        # One more, now that every one of them was counted, is refused too.
        assert portal.request("POST", "/key/", start, client=address)[0] == 429
        accepted_by = {pid for pid, _m, path, status in portal.served_by(2 * RATE_LIMIT + 1) if status == 303}
        if len(accepted_by) >= 2:
            break
    assert len(accepted_by) >= 2  # the accepted starts were counted by different workers
    # Another client has a limit of its own.
    assert portal.request("POST", "/key/", start, client="198.51.100.7")[0] == 303


def manage(portal: Portal, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=portal.env,
        check=True,
        timeout=START_SECONDS,
        capture_output=True,
        text=True,
    ).stdout


def test_a_revoked_api_token_is_refused_by_every_worker_on_its_next_request(gunicorn):
    """docs/decisions/0053-api-token-memo.md: each worker memoises the token it authenticated;
    the revocation, made by another process (the command, as an admin's would be), renews the
    site version in the shared cache, and no worker accepts the token again."""
    portal, _fake, _cache = gunicorn
    secret = manage(portal, "portal_token", "--site", "1", "--name", "desk").split()[-1]
    assert secret.startswith("sp_")

    def reps(_):
        return portal.request("GET", "/api/v1/reps", token=secret)[0]

    accepted_by: set[int] = set()
    with ThreadPoolExecutor(12) as pool:
        for _round in range(50):  # until every worker has answered (and memoised) it; bounded
            statuses = list(pool.map(reps, range(24)))
            assert statuses == [200] * 24
            accepted_by |= {pid for pid, _m, path, _s in portal.served_by(24) if path == "/api/v1/reps"}
            if len(accepted_by) == WORKERS:
                break
    assert len(accepted_by) == WORKERS

    manage(portal, "portal_token", "--revoke", secret[:10])

    refused_by: set[int] = set()
    with ThreadPoolExecutor(12) as pool:
        for _round in range(50):  # until every worker has answered again; bounded
            statuses = list(pool.map(reps, range(24)))
            assert statuses == [401] * 24  # not one request got through, on any worker
            refused_by |= {pid for pid, _m, path, _s in portal.served_by(24) if path == "/api/v1/reps"}
            if refused_by >= accepted_by:
                break
    assert refused_by >= accepted_by
