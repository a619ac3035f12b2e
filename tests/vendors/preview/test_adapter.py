"""The Preview adapter (docs/decisions/0034-preview-backend.md): BeyondTrust's URLs, shown, and
sample representatives; nothing is called."""

from __future__ import annotations

from portal.models import Backend
from portal.vendors.base import StartFlow, StartOrder
from portal.vendors.preview.adapter import PREVIEW_REPS, PreviewAdapter
from portal.vendors.registry import adapter_for
from tests.conftest import query_of
from tests.vendors.beyondtrust.test_adapter import Typed


def preview() -> PreviewAdapter:
    found = adapter_for(Backend(pk=1, kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"))
    assert isinstance(found, PreviewAdapter)
    return found


def test_preview_lists_sample_reps_and_calls_nobody():
    assert preview().sample_reps() == PREVIEW_REPS
    assert preview().rep_fetcher() is None and preview().breaker() is None
    assert not (preview().needs_api_credentials or preview().has_connection_test or preview().imports_issues)


def test_preview_shows_the_url_a_beyondtrust_start_would_open():
    outcome = preview().start(
        StartOrder(flow=StartFlow.REP, customer=Typed(), locale="en-us", rep_id=12, rep_name="Alex K.")
    )
    assert preview().is_preview
    assert outcome.url.startswith("https://support.example.com/api/start_session?")
    assert query_of(outcome.url) == [("id", "12"), ("name", "Alex K."), ("locale", "en-us")]
