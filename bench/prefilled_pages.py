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
import shutil
import statistics
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import environ, production_settings, timed  # noqa: E402

PREFILLED = "issue=printing&name=Jane%20{n}&external_key=INC-{n}&locale=de"
PATHS = {
    "bare view": ("/bench/bare/", ""),
    "cached page (/survey/?locale=de)": ("/survey/", "locale=de"),
    "prefilled, full render": ("/bench/survey-full-render/", PREFILLED),
    "prefilled, compiled": ("/survey/", PREFILLED),
}


def ms_per_page(app, path: str, query: str, seconds: float) -> float:
    """Milliseconds per request over `seconds` (bounded: at most 1 million requests)."""
    count, elapsed = timed(
        app, lambda n: environ(path, query.format(n=quote(str(n)))), seconds, limit=1_000_000, batch=20
    )
    return elapsed / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    data = production_settings("portal-prefill-bench-")
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
