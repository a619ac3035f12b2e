"""What the in-process benches share (api_inprocess.py, prefilled_pages.py): production
settings on a throwaway data folder, a ready-made WSGI environ, and a bounded, timed loop that
calls the WSGI handler in this process (no server, no sockets: the portal's own work per
request, every middleware included)."""

from __future__ import annotations

import io
import os
import secrets
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def production_settings(prefix: str, *, scaled_out: bool = False, **extra: str) -> Path:
    """Points Django at production settings (`bench.settings`: the bare view beside the portal's
    URLs) and a new throwaway data folder (SQLite and the disk cache), which is returned; the
    caller removes it. Call before `django.setup()`. `scaled_out` keeps the environment's
    DATABASE_URL and CACHE_URL (PostgreSQL and Redis, as `.ci/services` sets them) instead."""
    data = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "PORTAL_DATA_DIR": str(data),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_LOG_LEVEL": "ERROR",
            **extra,
        }
    )
    if scaled_out and not (os.environ.get("DATABASE_URL") and os.environ.get("CACHE_URL")):
        raise SystemExit("scaled out needs DATABASE_URL and CACHE_URL (run under .ci/services)")
    for name in ("DATABASE_URL", "CACHE_URL"):
        if not scaled_out:
            os.environ.pop(name, None)
    warnings.filterwarnings("ignore", category=UserWarning)  # whitenoise: no collected static
    return data


def environ(path: str, query: str = "", headers: dict[str, str] | None = None) -> dict:
    """A GET as gunicorn would hand it to Django, from 127.0.0.1."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **(headers or {}),
    }


def timed(
    app,
    request: Callable[[int], dict],
    seconds: float,
    *,
    limit: int,
    batch: int,
    expect: str = "200",
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[int, float]:
    """Calls `app` with `request(n)` for the n-th request, `batch` at a time, until `seconds` have
    passed or `limit` requests were made; (requests, seconds taken by `clock`: wall time, or
    `time.process_time` for this process's CPU). Stops the bench if any answer's status was not
    `expect`."""
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    count, began, began_clock = 0, time.perf_counter(), clock()
    deadline = began + seconds
    while time.perf_counter() < deadline and count < limit:
        for _ in range(batch):
            body = app(request(count), start_response)
            for _chunk in body:
                pass
            if hasattr(body, "close"):
                body.close()
            count += 1
    elapsed = clock() - began_clock
    bad = [status for status in statuses if not status.startswith(expect)]
    if bad:
        first = request(0)
        raise SystemExit(f"{first['PATH_INFO']}: {len(bad)} answers were not {expect} (first: {bad[0]})")
    return count, elapsed
