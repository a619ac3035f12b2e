"""In-process requests per second of `GET /api/v1/reps` against a bare Django view.

No server and no load generator: the WSGI handler is called in this process, in a loop, with
a ready-made environ, so what is measured is the portal's own work per request (middleware,
token lookup, rep list from the cache, JSON) and nothing of the machine's sockets. Production
settings (`bench.settings`: the bare view beside the portal's URLs), a throwaway SQLite
database and disk cache, the fake appliance on 127.0.0.1 (the rep list is fetched once, then
served from the cache). Rounds alternate the two paths; the medians are printed. With
`--scaled-out` (under `.ci/services`) the database and the cache are PostgreSQL and Redis.

    .venv/bin/python bench/api_inprocess.py [--seconds 3] [--rounds 5] [--scaled-out]
    .ci/services .venv/bin/python bench/api_inprocess.py --scaled-out
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import environ, production_settings, timed  # noqa: E402


def rate(app, path: str, token: str | None, seconds: float) -> float:
    """Requests per second for `seconds` (bounded: at most 10 million requests)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else None
    count, elapsed = timed(app, lambda n: environ(path, headers=headers), seconds, limit=10_000_000, batch=50)
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scaled-out", action="store_true", help="PostgreSQL and Redis from the environment")
    args = parser.parse_args()

    data = production_settings(
        "portal-api-bench-", scaled_out=args.scaled_out, PORTAL_API_RATE_LIMIT=str(10**9)
    )

    from tests.fakes.beyondtrust import FakeBeyondTrust
    from tests.fakes.server import running

    try:
        with running(FakeBeyondTrust()) as fake:
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0)
            from django.core.handlers.wsgi import WSGIHandler

            from portal.models import Backend, Site
            from portal.tokens import create_api_token

            backend = Backend.objects.create(
                name="Fake appliance",
                kind=Backend.Kind.MODERN,
                base_url=fake.base_url,
                client_id=fake.client_id,
                client_secret=fake.client_secret,
            )
            site = Site.objects.create(
                name="Bench",
                is_default=True,
                backend=backend,
                show_rep_list=True,
                rep_list_ttl=600,
                consent_text="",
            )
            token = create_api_token(site=site, name="Bench").secret
            app = WSGIHandler()
            for path, secret in (("/bench/bare/", None), ("/api/v1/reps", token)):
                rate(app, path, secret, 0.5)  # warm: the rep list is fetched once here
            bare, api = [], []
            for _round in range(args.rounds):
                bare.append(rate(app, "/bench/bare/", None, args.seconds))
                api.append(rate(app, "/api/v1/reps", token, args.seconds))
            ratios = [a / b for a, b in zip(api, bare, strict=True)]
            print(f"bare view      {statistics.median(bare):8.0f} req/s")
            print(
                f"GET /api/v1/reps {statistics.median(api):6.0f} req/s  "
                f"ratio {statistics.median(ratios):.2f}  "
                f"(appliance asked {fake.count('get_logged_in_reps')} time(s))"
            )
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
