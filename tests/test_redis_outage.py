"""A Redis that stops answering does not stop the customers
(docs/decisions/0101-serving-through-a-redis-outage.md): each process serves the cache from its
own memory, asks Redis again in the background, and uses it again once it answers.

Redis here is real or really absent: a port nobody listens on (refused at once), a server that
accepts and never answers (tests/fakes/server.py), and a real `redis-server` stopped and
started again on its port (where Debian's package is installed, as in `make test-services`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest
from django.core.cache import cache, caches

from portal import guards
from portal.analytics import counters
from portal.cache_backend import RedisOutage, SharedRedisCache, degraded
from portal.models import StartRequest
from tests.conftest import APPLIANCE, form_data, query_of
from tests.fakes.server import silent_service

pytest.importorskip("redis", reason="the Redis client comes with the redis extra (make test-services)")

pytestmark = pytest.mark.django_db


def free_port() -> int:
    """A local port nobody listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _no_outage_left():
    """Each test begins with no outage and ends the retry threads it started."""
    RedisOutage.forget_all()
    yield
    RedisOutage.forget_all()


def use_redis(settings, port: int, *, retry: float = 3600.0, location: str = "") -> None:
    """The portal's Redis cache at 127.0.0.1:port (or `location`), each connect and answer
    waited for 0.5 s, Redis asked again every `retry` seconds during an outage."""
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache_backend.SharedRedisCache",
            "LOCATION": location or f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.PORTAL_REDIS_RETRY_SECONDS = retry


def outage() -> RedisOutage:
    """The outage state this thread's backend shares with the process's others."""
    backend = caches["default"]
    assert isinstance(backend, SharedRedisCache)
    return backend._outage


def key_start(client, key: str = "1234567", **headers):
    return client.post("/key/", form_data(key=key, locale="de", tz="60"), **headers)


def test_with_redis_refusing_connections_a_key_start_goes_to_the_vendor(client, site, settings, caplog):
    use_redis(settings, free_port())
    with caplog.at_level(logging.WARNING, logger="portal.cache_backend"):
        response = key_start(client)
        assert response.status_code == 303
        assert query_of(response["Location"]) == [
            ("short_key", "1234567"),
            ("locale", "de"),
            ("timezone_offset", "60"),
        ]
        assert response["Location"].startswith(f"{APPLIANCE}/api/start_session?")
        assert StartRequest.objects.filter(flow=StartRequest.Flow.KEY, outcome="started").count() == 1
        for _ in range(3):
            assert key_start(client).status_code == 303
    assert degraded(cache)
    outage_lines = [record for record in caplog.records if "did not answer" in record.getMessage()]
    assert len(outage_lines) == 1  # one line for the outage, not one per request
    assert outage_lines[0].levelno == logging.ERROR
    assert "ConnectionError" in outage_lines[0].getMessage()


def test_the_outage_log_line_names_the_redis_without_its_credentials(site, settings, caplog):
    port = free_port()
    use_redis(settings, port)
    settings.CACHES["default"]["LOCATION"] = (
        f"redis://portal:s3cret-pass@127.0.0.1:{port}/2?password=other-s3cret"
    )
    with caplog.at_level(logging.ERROR, logger="portal.cache_backend"):
        assert cache.get("anything", "missing") == "missing"
    (line,) = [record.getMessage() for record in caplog.records]
    assert f"Redis at redis://127.0.0.1:{port}/2 did not answer" in line
    assert "s3cret" not in line and "portal:" not in line


def test_during_an_outage_pages_render_and_the_start_limit_still_counts(client, site, settings):
    use_redis(settings, free_port())
    settings.PORTAL_RATE_LIMIT = 3
    landing = client.get("/")
    assert landing.status_code == 200
    assert b'action="/key/"' in landing.content or b"/key/" in landing.content
    assert client.get("/survey/").status_code == 200
    statuses = [key_start(client).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]  # counted in this process's memory


def test_during_an_outage_the_api_limit_still_slides(settings, time_machine):
    """The sliding minute's two counters come from this process's memory (record 0111): the
    previous minute's burst still holds back the next minute's first second."""
    use_redis(settings, free_port())
    time_machine.move_to(1_800_000_059, tick=False)  # a minute's last second
    assert [guards.over_sliding_limit("api:outage", limit=3, window=60) for _ in range(3)] == [0, 0, 0]
    assert degraded(cache)
    time_machine.move_to(1_800_000_060.5)  # the next minute's first
    waits = [guards.over_sliding_limit("api:outage", limit=3, window=60) for _ in range(3)]
    assert waits == [0, 20, 20]  # the previous three count as at 0, 20 and 40 s: 80 s is 19.5 s on


def test_during_an_outage_readyz_answers_200_and_says_degraded(client, site, settings):
    use_redis(settings, free_port())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}


def test_a_hung_redis_holds_only_the_call_that_finds_it_out(client, site, settings):
    """Only the first call waits (0.5 s here); every later request is served without
    connecting, so a hung Redis costs one wait per outage and process, not one per request."""
    with silent_service() as redis:
        use_redis(settings, redis.port)
        assert key_start(client).status_code == 303
        assert degraded(cache)
        connections = redis.accepted
        assert connections >= 1
        for _ in range(10):
            assert key_start(client).status_code == 303
            assert client.get("/key/").status_code == 200
        assert redis.accepted == connections


def test_values_kept_for_ever_are_kept_a_minute_in_the_outage_memory(settings, time_machine):
    """The site version is stored for ever; in the outage memory it lives a minute, so an admin
    change another process made meanwhile reaches this one within a cached page's age."""
    time_machine.move_to("2026-12-07 12:00:00+00:00", tick=False)
    use_redis(settings, free_port())
    cache.set("portal:test-for-ever", "v1", None)
    assert degraded(cache)
    assert cache.get("portal:test-for-ever") == "v1"
    assert cache.add("portal:test-for-ever", "v2", None) is False
    time_machine.shift(59)
    assert cache.get("portal:test-for-ever") == "v1"
    time_machine.shift(2)
    assert cache.get("portal:test-for-ever") is None
    cache.set("portal:test-five-minutes", "kept", 300)  # a finite timeout is kept as it is
    time_machine.shift(299)
    assert cache.get("portal:test-five-minutes") == "kept"


# ------------------------------------------------------------------------------
# A real Redis stopped and started again
# ------------------------------------------------------------------------------
@contextlib.contextmanager
def redis_server(port: int, directory) -> Iterator[subprocess.Popen]:
    """Debian's redis-server on 127.0.0.1:port, without persistence; stopped at the end."""
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # its own log line says when it takes connections
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail(f"redis-server on port {port} did not start")
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def raw_get(port: int, key: str):
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    try:
        return client.get(cache.make_key(key))
    finally:
        client.close()


def test_redis_stopped_and_started_again(client, site, settings, tmp_path, caplog):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian's redis-server; make test-services has it)")
    port = free_port()
    use_redis(settings, port, retry=0.05)
    with caplog.at_level(logging.WARNING, logger="portal.cache_backend"):
        with redis_server(port, tmp_path):
            cache.set("portal:test-before", "shared", 300)
            assert raw_get(port, "portal:test-before") is not None
            assert key_start(client).status_code == 303
        # Redis is gone (killed, nothing saved): customers are still served.
        assert cache.get("portal:test-before") is None  # the memory never had it
        assert degraded(cache)
        assert key_start(client).status_code == 303
        cache.set("portal:test-during", "this process only", 300)
        assert cache.get("portal:test-during") == "this process only"

        counters.count(kind="view", site_id=site.pk, flow="key")
        counters.count(kind="view", site_id=site.pk, flow="key")
        tallied = counters.tally.pending()  # these two and the starts' submissions
        assert counters.flush() == 0  # not into the memory, where the fold would never see it
        assert counters.tally.pending() == tallied

        with redis_server(port, tmp_path):
            assert outage().answered.wait(timeout=30)  # the retry thread heard it
            assert not degraded(cache)
            assert cache.get("portal:test-during") is None  # the outage's memory is not Redis
            assert outage().memory.get("portal:test-during") is None  # and it was emptied
            cache.set("portal:test-after", "shared again", 300)
            assert raw_get(port, "portal:test-after") is not None
            assert counters.flush() == tallied  # the tally kept through the outage reaches Redis
            views = counters.counter_key(kind="view", day=counters.today(), site_id=site.pk, flow="key")
            assert int(raw_get(port, views)) == 2
            assert key_start(client).status_code == 303
    messages = [record.getMessage() for record in caplog.records]
    assert sum("did not answer" in message for message in messages) == 1
    assert sum("answers again" in message for message in messages) == 1


def test_the_outage_log_line_says_the_retry_interval_as_a_person_writes_it(site, settings, caplog):
    """`every 5 s`, not `every 5.0 s`: the setting is a float, and the line is read by people."""
    use_redis(settings, free_port(), retry=5.0)
    with caplog.at_level(logging.ERROR, logger="portal.cache_backend"):
        assert cache.get("anything", "missing") == "missing"
    (line,) = [record.getMessage() for record in caplog.records]
    assert line.endswith("asking again every 5 s")
