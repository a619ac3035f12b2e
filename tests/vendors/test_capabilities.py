"""What a backend kind offers admins and integrations is a capability of its adapter
(docs/decisions/0057-vendor-api-capabilities-through-the-adapter.md): the flag and the methods
agree, and a kind without the capability refuses through the adapter, before any vendor call."""

from __future__ import annotations

import datetime

import pytest

from portal import appliance
from portal.models import Backend, Issue, Site
from portal.vendors.base import SessionHistoryError, SessionQueue, VendorAdapter
from portal.vendors.beyondtrust.adapter import queue_id
from portal.vendors.registry import ADAPTERS

SESSION_KEY_METHODS = ("generate_session_key", "hand_off_chat")
HISTORY_METHODS = ("session_history", "history_csv")


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_a_kind_implements_exactly_the_capabilities_it_declares(kind):
    adapter = ADAPTERS[kind]
    for capability, methods in (
        ("offers_session_keys", SESSION_KEY_METHODS),
        ("has_session_history", HISTORY_METHODS),
    ):
        implemented = {name for name in methods if getattr(adapter, name) is not getattr(VendorAdapter, name)}
        assert implemented == (set(methods) if getattr(adapter, capability) else set()), capability
    assert bool(adapter.history_columns) == adapter.has_session_history
    assert set(adapter.default_history_columns) <= set(adapter.history_columns)


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_the_settings_a_kind_does_not_use_are_its_models_fields_or_inlines(kind):
    """docs/decisions/0103-admin-fields-by-vendor.md: a misspelt name would leave a setting on
    the admin's form without a word."""
    models = {"backend": Backend, "site": Site, "issue": Issue}
    unused = ADAPTERS[kind].unused_fields
    assert set(unused) <= set(models)
    for model_name, names in unused.items():
        meta = models[model_name]._meta
        known = {field.name for field in meta.concrete_fields} | {
            rel.get_accessor_name() for rel in meta.related_objects
        }
        assert set(names) <= known, model_name
    labels = ADAPTERS[kind].field_labels
    assert set(labels) <= set(models)
    for model_name, fields in labels.items():
        assert set(fields) <= {field.name for field in models[model_name]._meta.concrete_fields}
        assert not set(fields) & set(unused.get(model_name, ())), "a label for a hidden setting"


def test_a_kind_without_session_keys_refuses_them_without_calling_anyone(db):
    backend = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="http://127.0.0.1:9/rest"
    )
    assert not backend.adapter.offers_session_keys
    with pytest.raises(ValueError, match="no session keys"):
        appliance.create_session_key(backend=backend, queue=SessionQueue.general())
    with pytest.raises(ValueError, match="no session keys"):
        appliance.hand_off_chat(
            backend=backend, name="Bot", ip_address="0.0.0.0", operating_system="Chat", computer_name="x"
        )


def test_a_kind_without_a_history_says_so_in_the_admins_words(db):
    backend = Backend.objects.create(
        name="Appliance", kind=Backend.Kind.MODERN, base_url="http://127.0.0.1:9"
    )
    filters = {
        "date_from": datetime.date(2026, 1, 1),
        "date_to": datetime.date(2026, 1, 2),
        "columns": ["ID"],
    }
    with pytest.raises(SessionHistoryError):
        appliance.session_history(backend=backend, filters=filters, page=1, page_size=25)


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        (SessionQueue.general(), "general"),
        (SessionQueue.rep(12), "rep:12"),
        (SessionQueue.team(3), "team:3"),
        (SessionQueue.issue("printing"), "issue:printing"),
    ],
)
def test_the_beyondtrust_adapter_names_a_portal_queue_as_the_command_api_does(queue, expected):
    # docs/vendors/beyondtrust.md#generate_session_key
    assert queue_id(queue) == expected


def test_an_unknown_queue_is_refused_not_sent_as_the_general_queue():
    with pytest.raises(ValueError):
        queue_id(SessionQueue("nowhere"))
