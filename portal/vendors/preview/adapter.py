"""The Preview adapter (kind "preview", docs/decisions/0034-preview-backend.md): every flow of a
BeyondTrust site, the start URL shown in the portal instead of opened, sample representatives
instead of an appliance's. Nothing is ever called or reached.
"""

from __future__ import annotations

from typing import Any

from portal.vendors.base import VendorAdapter
from portal.vendors.beyondtrust.adapter import BeyondTrustAdapter
from portal.vendors.beyondtrust.client import Rep

# What a Preview backend lists: its rep starts show the URL a real rep would get.
PREVIEW_REPS = (
    Rep(id=12, public_name="Alex K.", showing_on_rep_list=True),
    Rep(id=7, public_name="Sam R.", showing_on_rep_list=True),
)


class PreviewAdapter(BeyondTrustAdapter):
    kind = "preview"
    vendor = "Preview"
    needs_api_credentials = False
    has_connection_test = False
    imports_issues = False
    is_preview = True
    # A BeyondTrust site's settings, to try them out, but nobody to call: no API credentials
    # (docs/decisions/0103-admin-fields-by-vendor.md).
    unused_fields = {
        **BeyondTrustAdapter.unused_fields,
        "backend": BeyondTrustAdapter.unused_fields["backend"] | {"client_id", "client_secret"},
    }
    # Nothing is called: no session keys or chat hand-offs for integrations (record 0057).
    offers_session_keys = False
    generate_session_key = VendorAdapter.generate_session_key
    hand_off_chat = VendorAdapter.hand_off_chat

    def sample_reps(self) -> tuple[Rep, ...]:
        return PREVIEW_REPS

    def rep_fetcher(self) -> None:
        return None

    def breaker(self) -> Any:
        return None
