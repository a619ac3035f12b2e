"""The legacy Bomgar adapter: the one home of what a `.ns` start cannot carry
(docs/decisions/0055-vendor-adapters-and-registry.md)."""

from __future__ import annotations

from portal.models import Backend, CustomField, Issue
from portal.vendors.base import StartFlow, StartOrder
from portal.vendors.beyondtrust.legacy import LegacyBomgarAdapter
from portal.vendors.registry import adapter_for
from tests.conftest import query_of
from tests.vendors.beyondtrust.test_adapter import Typed

APPLIANCE = "https://support.example.com"


def legacy(**fields) -> LegacyBomgarAdapter:
    found = adapter_for(Backend(kind=Backend.Kind.LEGACY, base_url=APPLIANCE, **fields))
    assert isinstance(found, LegacyBomgarAdapter)
    return found


def test_an_issue_without_a_numeric_id_is_refused_in_admin_and_not_offered():
    by_code = Issue(code_name="printer", display_name="Printer")
    by_id = Issue(code_name="network", display_name="Network", vendor_id=7)
    assert legacy().issue_problems(by_code).keys() == {"vendor_id"}
    assert legacy().issue_problems(by_id) == {}
    assert legacy().startable_issues([by_code, by_id]) == [by_id]


def test_what_the_ns_start_has_no_parameter_for_is_refused_on_the_issue():
    issue = Issue(
        code_name="vip", vendor_id=3, priority=1, skills="hw", chat_locale="cs-cs", chat=Issue.Chat.ALWAYS
    )
    assert legacy().issue_problems(issue).keys() == {"priority", "skills", "chat_locale", "chat"}


def test_custom_fields_and_the_platform_are_refused():
    assert legacy().custom_field_problem(CustomField(code_name="asset"))
    assert legacy(send_platform=True).backend_problems().keys() == {"send_platform"}
    assert not legacy().offers_chat_only and not legacy().carries_custom_fields


def test_the_details_limit_is_in_characters_not_bytes():
    details = {field.name: field for field in legacy().customer_fields}["details"]
    assert (details.max_chars, details.max_bytes) == (1024, None)


def test_an_issue_start_is_the_ns_url_with_the_old_names():
    issue = Issue(code_name="network", display_name="Network", vendor_id=7)
    customer = Typed(name="Ana", details="Offline", external_key="T-1")
    outcome = legacy().start(StartOrder(flow=StartFlow.ISSUE, customer=customer, locale="de", issue=issue))
    assert outcome.url.startswith(APPLIANCE + "/download_customer_connector.ns?")
    assert query_of(outcome.url) == [
        ("issue_menu", "1"),
        ("id", "7"),
        ("customer_name", "Ana"),
        ("customer_desc", "Offline"),
        ("external_key", "T-1"),
    ]
