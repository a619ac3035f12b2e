"""In-process milliseconds per page: a prefilled survey link rendered in full, the same link
from its compiled page (docs/decisions/0062-compiled-prefilled-pages.md), a page from the page
cache and a bare Django view.

No server: the WSGI handler is called in this process, warm, with a ready-made environ, so what
is measured is the portal's own work per request (every middleware included). Production
settings (`bench.settings`), a throwaway SQLite database and disk cache, the demo site
(`portal_demo`: issues, custom fields, 16 languages). Every prefilled request carries other
values (the customer's name and ticket change each time), so nothing of theirs can be cached.
"Full render" is the same view with compiled pages off (`bench/urls.py`), i.e. what every
prefill link cost before. Rounds alternate the paths; the medians are printed.

    .venv/bin/python bench/prefilled_pages.py [--seconds 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFILLED = "issue=printing&name=Jane%20{n}&external_key=INC-{n}&locale=de"
PATHS = {
    "bare view": ("/bench/bare/", ""),
    "cached page (/survey/?locale=de)": ("/survey/", "locale=de"),
    "prefilled, full render": ("/bench/survey-full-render/", PREFILLED),
    "prefilled, compiled": ("/survey/", PREFILLED),
}


def environ(path: str, query: str) -> dict:
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
    }


def ms_per_page(app, path: str, query: str, seconds: float) -> float:
    """Milliseconds per request over `seconds` (bounded: at most 1 million requests)."""
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    count, began = 0, time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline and count < 1_000_000:
        for _ in range(20):
            body = app(environ(path, query.format(n=quote(str(count)))), start_response)
            for _chunk in body:
                pass
            if hasattr(body, "close"):
                body.close()
            count += 1
    elapsed = time.perf_counter() - began
    bad = [status for status in statuses if not status.startswith("200")]
    if bad:
        raise SystemExit(f"{path}: {len(bad)} answers were not 200 (first: {bad[0]})")
    return elapsed / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="portal-prefill-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "PORTAL_MANIFEST_STATIC": "false",
            "PORTAL_DATA_DIR": str(data),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_LOG_LEVEL": "ERROR",
        }
    )
    for name in ("DATABASE_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)  # whitenoise: no collected static
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("portal_demo", "--no-user", verbosity=0)
        from django.core.handlers.wsgi import WSGIHandler

        app = WSGIHandler()
        for path, query in PATHS.values():
            ms_per_page(app, path, query, 0.3)  # warm: caches filled, shapes compiled
        results: dict[str, list[float]] = {label: [] for label in PATHS}
        for _round in range(args.rounds):
            for label, (path, query) in PATHS.items():
                results[label].append(ms_per_page(app, path, query, args.seconds))
        bare = statistics.median(results["bare view"])
        for label, values in results.items():
            median = statistics.median(values)
            print(f"{label:36} {median:7.3f} ms/page  ({median / bare:5.1f} x the bare view)")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
