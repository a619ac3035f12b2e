"""The set-up checklist tells a staff member only what their permissions let them read: the
backend's stored connection test needs "view backend", the site's API tokens "view API token";
"view site" alone shows the site's own items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.models import Backend
from portal.tokens import create_api_token
from tests.admin.test_setup import checklist
from tests.admin.test_view_only_secrets import viewer

pytestmark = pytest.mark.django_db

PROBLEM = "Disk usage above 95% on appliance-7.internal"


@pytest.fixture
def reported(site, backend):
    Backend.objects.filter(pk=backend.pk).update(
        connection_ok=False,
        connection_summary=PROBLEM,
        connection_notes=[],
        connection_checked_at=datetime(2026, 12, 7, 9, 8, tzinfo=UTC),
    )
    create_api_token(site=site, name="Zendesk")
    return site


def texts(client) -> str:
    parsed = checklist(client)
    (site,) = parsed.sites
    return "\n".join(entry["text"] for entry in parsed.sites[site])


def test_view_site_alone_shows_neither_the_connection_test_nor_the_tokens(client, reported):
    shown = texts(viewer(client, "view_site"))
    assert "Embedding" in shown  # the site's own items are there
    assert PROBLEM not in shown and "Backend reachable" not in shown
    assert "API token" not in shown


def test_each_section_shows_to_whom_may_view_what_it_reports(client, reported):
    shown = texts(viewer(client, "view_site", "view_backend"))
    assert PROBLEM in shown and "API token" not in shown
    shown = texts(viewer(client, "view_site", "view_apitoken", username="tokens"))
    assert "1 active API token." in shown and PROBLEM not in shown
