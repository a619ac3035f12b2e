"""Our own services that stop answering fail requests instead of holding them (portal/settings.py):
a Redis that accepts connections and never answers, a PostgreSQL host that never completes
the connection. Each check runs the production settings in a process of its own, against a
fake service on 127.0.0.1 that accepts and never sends a byte."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@contextlib.contextmanager
def silent_service() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers; its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except OSError:  # closed: the test is over
                return
            held.append(connection)  # kept open, never read, never written

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # ends the accept() the thread waits in
        listener.close()
        for connection in held:
            connection.close()
        thread.join(timeout=10)


def run_with_settings(tmp_path: Path, code: str, **environment: str) -> subprocess.CompletedProcess:
    """`code` after django.setup() with the production settings and `environment`. A wait
    without a bound would end in the subprocess timeout, failing the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CACHE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "support.example.com",
            "PORTAL_DATA_DIR": str(tmp_path),
            **environment,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


READYZ = (
    "from django.test import Client\n"
    "response = Client().get('/readyz', HTTP_HOST='support.example.com')\n"
    "print(response.status_code, response.json()['cache'])\n"
)


def test_readyz_answers_503_when_redis_accepts_and_never_answers(tmp_path):
    pytest.importorskip("redis", reason="the Redis client comes with the redis extra (make test-services)")
    with silent_service() as port:
        result = run_with_settings(
            tmp_path, READYZ, CACHE_URL=f"redis://127.0.0.1:{port}/0", PORTAL_REDIS_TIMEOUT="0.5"
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503", "error"]


def test_a_cache_read_from_a_silent_redis_raises_redis_timeout(tmp_path):
    pytest.importorskip("redis", reason="the Redis client comes with the redis extra (make test-services)")
    code = (
        "import redis\n"
        "from django.core.cache import cache\n"
        "try:\n"
        "    cache.get('anything')\n"
        "except redis.exceptions.TimeoutError:\n"
        "    print('timeout')\n"
    )
    with silent_service() as port:
        result = run_with_settings(
            tmp_path, code, CACHE_URL=f"redis://127.0.0.1:{port}/0", PORTAL_REDIS_TIMEOUT="0.5"
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["timeout"]


SETTINGS = (
    "import json\n"
    "from django.conf import settings\n"
    "print(json.dumps({'cache': settings.CACHES['default'].get('OPTIONS', {}),"
    " 'database': settings.DATABASES['default'].get('OPTIONS', {})}))\n"
)


def settings_of(tmp_path: Path, **environment: str) -> dict:
    result = run_with_settings(tmp_path, SETTINGS, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_redis_calls_wait_one_second_unless_the_url_says_otherwise(tmp_path):
    options = settings_of(tmp_path, CACHE_URL="redis://127.0.0.1:6379/0")["cache"]
    assert options["socket_connect_timeout"] == options["socket_timeout"] == 1.0
    options = settings_of(
        tmp_path,
        CACHE_URL="redis://127.0.0.1:6379/0?socket_timeout=3&socket_connect_timeout=2",
        PORTAL_REDIS_TIMEOUT="0.5",
    )["cache"]
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (2, 3)
    options = settings_of(tmp_path, CACHE_URL="redis://127.0.0.1:6379/0", PORTAL_REDIS_TIMEOUT="0")["cache"]
    assert options["socket_connect_timeout"] is options["socket_timeout"] is None  # 0: no limit


def test_a_postgresql_connect_waits_five_seconds_unless_the_url_says_otherwise(tmp_path):
    pytest.importorskip(
        "psycopg", reason="the PostgreSQL driver comes with the postgres extra (make test-services)"
    )
    url = "postgres://portal@127.0.0.1:5432/portal"
    assert settings_of(tmp_path, DATABASE_URL=url)["database"]["connect_timeout"] == 5
    options = settings_of(
        tmp_path, DATABASE_URL=url + "?connect_timeout=9", PORTAL_DATABASE_CONNECT_TIMEOUT="2"
    )
    assert options["database"]["connect_timeout"] == 9


def test_a_postgresql_host_that_never_completes_the_connection_fails_the_connect(tmp_path):
    pytest.importorskip(
        "psycopg", reason="the PostgreSQL driver comes with the postgres extra (make test-services)"
    )
    code = (
        "from django.db import connection\n"
        "from django.db.utils import OperationalError\n"
        "try:\n"
        "    connection.ensure_connection()\n"
        "except OperationalError as error:\n"
        "    print('refused' if 'timeout' in str(error).lower() else str(error))\n"
    )
    with silent_service() as port:
        result = run_with_settings(
            tmp_path,
            code,
            DATABASE_URL=f"postgres://portal@127.0.0.1:{port}/portal",
            PORTAL_DATABASE_CONNECT_TIMEOUT="2",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["refused"]
