"""Our own services that stop answering fail requests instead of holding them (portal/settings.py):
a Redis that accepts connections and never answers, a PostgreSQL host that never completes
the connection. Each check runs the production settings in a process of its own, against a
fake service on 127.0.0.1 that accepts and never sends a byte."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.server import silent_service

ROOT = Path(__file__).resolve().parent.parent.parent


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


# On a migrated database: /readyz says "not migrated" before `migrate` has run.
READYZ = (
    "from django.core.management import call_command\n"
    "call_command('migrate', verbosity=0)\n"
    "from django.test import Client\n"
    "response = Client().get('/readyz', HTTP_HOST='support.example.com')\n"
    "print(response.status_code, response.json()['cache'])\n"
)


def test_readyz_says_degraded_when_redis_accepts_and_never_answers(tmp_path):
    """The process serves from its own memory meanwhile, so it stays in the load balancer: 200,
    and the body says so (docs/decisions/0101-serving-through-a-redis-outage.md)."""
    pytest.importorskip("redis", reason="the Redis client comes with the redis extra (make test-services)")
    with silent_service() as service:
        result = run_with_settings(
            tmp_path, READYZ, CACHE_URL=f"redis://127.0.0.1:{service.port}/0", PORTAL_REDIS_TIMEOUT="0.5"
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "degraded"]


def test_a_cache_read_from_a_silent_redis_ends_in_the_process_memory(tmp_path):
    """The read waits for PORTAL_REDIS_TIMEOUT, not for ever: redis-py's TimeoutError ends it,
    and the process serves the cache around Redis from then on."""
    pytest.importorskip("redis", reason="the Redis client comes with the redis extra (make test-services)")
    code = (
        "from django.core.cache import cache\n"
        "from portal.cache_backend import degraded\n"
        "print(degraded(cache), cache.get('anything', 'missing'), degraded(cache))\n"
    )
    with silent_service() as service:
        result = run_with_settings(
            tmp_path, code, CACHE_URL=f"redis://127.0.0.1:{service.port}/0", PORTAL_REDIS_TIMEOUT="0.5"
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "missing", "True"]
    assert "TimeoutError" in result.stderr  # the one log line of the outage names it


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
    with silent_service() as service:
        result = run_with_settings(
            tmp_path,
            code,
            DATABASE_URL=f"postgres://portal@127.0.0.1:{service.port}/portal",
            PORTAL_DATABASE_CONNECT_TIMEOUT="2",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["refused"]


def test_postgresql_connections_carry_a_statement_timeout_and_tcp_keepalives(tmp_path):
    pytest.importorskip(
        "psycopg", reason="the PostgreSQL driver comes with the postgres extra (make test-services)"
    )
    url = "postgres://portal@127.0.0.1:5432/portal"
    options = settings_of(tmp_path, DATABASE_URL=url)["database"]
    assert options["options"] == "-c statement_timeout=30s"
    assert (options["keepalives"], options["keepalives_idle"], options["keepalives_interval"]) == (1, 10, 5)
    assert (options["keepalives_count"], options["tcp_user_timeout"]) == (3, 15000)
    assert settings_of(tmp_path, DATABASE_URL=url, PORTAL_DATABASE_STATEMENT_TIMEOUT="4")["database"][
        "options"
    ] == ("-c statement_timeout=4s")
    assert (
        "options"
        not in settings_of(tmp_path, DATABASE_URL=url, PORTAL_DATABASE_STATEMENT_TIMEOUT="0")["database"]
    )
    # The URL's own values win.
    options = settings_of(
        tmp_path, DATABASE_URL=url + "?options=-c%20statement_timeout%3D2min&keepalives_idle=60"
    )["database"]
    assert options["options"] == "-c statement_timeout=2min"
    assert str(options["keepalives_idle"]) == "60" and options["keepalives_interval"] == 5


STUCK_STATEMENT = (
    "from django.db import connection\n"
    "from django.db.utils import OperationalError\n"
    "parameters = connection.cursor().connection.info.get_parameters()\n"
    "print(parameters.get('keepalives_idle'), parameters.get('tcp_user_timeout'))\n"
    "try:\n"
    "    with connection.cursor() as cursor:\n"
    "        cursor.execute('SELECT pg_sleep(20)')\n"
    "    print('answered')\n"
    "except OperationalError as error:\n"
    "    print('cancelled' if 'statement timeout' in str(error) else str(error))\n"
)


def test_a_statement_the_server_cannot_finish_is_cancelled_after_the_timeout(tmp_path):
    """A real PostgreSQL (make test-services): a statement that would run 20 s is cancelled by
    the server after PORTAL_DATABASE_STATEMENT_TIMEOUT, and libpq got the keepalive and
    tcp_user_timeout parameters."""
    pytest.importorskip(
        "psycopg", reason="the PostgreSQL driver comes with the postgres extra (make test-services)"
    )
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL: DATABASE_URL (make test-services)")
    result = run_with_settings(
        tmp_path, STUCK_STATEMENT, DATABASE_URL=url, PORTAL_DATABASE_STATEMENT_TIMEOUT="1"
    )
    assert result.returncode == 0, result.stderr
    parameters, outcome = result.stdout.strip().splitlines()
    assert parameters == "10 15000"
    assert outcome == "cancelled"  # by the server's timeout, not waited out
