"""Backend kind → its adapter (docs/decisions/0055-vendor-adapters-and-registry.md).

Adding a vendor is one package under `portal/vendors/` with a `VendorAdapter` subclass and one
line in `ADAPTERS` (docs/architecture.md#adding-a-vendor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.vendors.base import CustomerField, VendorAdapter
from portal.vendors.beyondtrust.adapter import BeyondTrustAdapter
from portal.vendors.beyondtrust.legacy import LegacyBomgarAdapter
from portal.vendors.preview.adapter import PreviewAdapter
from portal.vendors.takecontrol.adapter import TakeControlAdapter

if TYPE_CHECKING:
    from portal.models import Backend

ADAPTERS: dict[str, type[VendorAdapter]] = {
    adapter.kind: adapter
    for adapter in (BeyondTrustAdapter, LegacyBomgarAdapter, TakeControlAdapter, PreviewAdapter)
}


def adapter_class(kind: str) -> type[VendorAdapter]:
    """The adapter class of a kind; KeyError for a kind nobody registered."""
    return ADAPTERS[kind]


def adapter_for(backend: Backend) -> VendorAdapter:
    """The adapter of `backend`'s kind, bound to it."""
    return ADAPTERS[backend.kind](backend)


def kinds_of(vendor: str) -> list[str]:
    """The kinds of one vendor, e.g. "BeyondTrust": modern and legacy (portal_bootstrap)."""
    return [kind for kind, adapter in ADAPTERS.items() if adapter.vendor == vendor]


def admin_note_templates() -> dict[str, str]:
    """Every kind's `AdminNote` codes and their English templates: a kept note is read after
    its backend may have changed kind."""
    return {
        code: template
        for adapter in ADAPTERS.values()
        for code, template in adapter.admin_note_templates.items()
    }


def all_customer_field_tables() -> tuple[tuple[CustomerField, ...], ...]:
    """Every kind's customer fields (the API publishes the largest limit of each field)."""
    return tuple(adapter.customer_fields for adapter in ADAPTERS.values())
