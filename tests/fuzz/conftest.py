"""Hypothesis profiles for the property-based tests in this folder, and a count of the cases
each endpoint ran.

`make test` uses the short profile (the default); `make fuzz` sets HYPOTHESIS_PROFILE=fuzz,
which runs at least 10,000 cases per endpoint. The example database is off: a run depends only
on the seed Hypothesis prints on failure (`--hypothesis-seed=N` reproduces it) and nothing is
written into the working tree.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

# Each case is a real request through the whole Django stack and often a fake vendor server:
# slower than Hypothesis expects, and the fixtures (site, fake servers) are shared by the
# cases of one test on purpose. Every generated input is checked, none is "too slow".
_COMMON: dict[str, Any] = dict(
    database=None,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.register_profile("short", max_examples=25, **_COMMON)
settings.register_profile("fuzz", max_examples=10_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))

CASES: Counter[str] = Counter()


def count_case(endpoint: str) -> None:
    CASES[endpoint] += 1


def pytest_terminal_summary(terminalreporter):
    if CASES:
        terminalreporter.section(f"fuzz cases ({settings.get_current_profile_name()} profile)")
        for endpoint, number in sorted(CASES.items()):
            terminalreporter.write_line(f"{number:>8}  {endpoint}")


def api_site_on_fake(site, fake, settings) -> None:
    """The API's site, backed by the fake appliance, with a prefill secret and no practical
    per-token rate limit (the 429 path has its own test in tests/test_api.py)."""
    settings.PORTAL_API_RATE_LIMIT = 10**9
    backend = site.backend
    backend.base_url, backend.client_id, backend.client_secret = (
        fake.base_url,
        fake.client_id,
        fake.client_secret,
    )
    backend.save()
    site.prefill_secret = "fuzz-prefill-secret"
    site.save()
