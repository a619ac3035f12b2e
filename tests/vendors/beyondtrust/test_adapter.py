"""The BeyondTrust adapter (docs/decisions/0055-vendor-adapters-and-registry.md): the key rule,
what it refuses in a backend's settings, and the start URL it builds for each flow."""

from __future__ import annotations

import pytest

from portal.models import Backend, Issue
from portal.vendors.base import InvalidKey, StartFlow, StartOrder
from portal.vendors.beyondtrust.adapter import BeyondTrustAdapter
from portal.vendors.registry import adapter_for
from tests.conftest import query_of

APPLIANCE = "https://support.example.com"


class Typed:
    """What a customer typed (`portal.services.Customer`'s shape)."""

    def __init__(self, **values):
        self.name = self.company = self.company_code = self.details = ""
        self.email = self.number = self.external_key = ""
        self.custom: tuple[tuple[str, str], ...] = ()
        self.__dict__.update(values)


def adapter(**fields) -> BeyondTrustAdapter:
    backend = Backend(kind=Backend.Kind.MODERN, base_url=APPLIANCE, **fields)
    found = adapter_for(backend)
    assert isinstance(found, BeyondTrustAdapter)
    return found


@pytest.mark.parametrize(
    "raw", ["1234567", "123 4567", "123-4567", "１２３４５６７", "123\u200b4567", " 123\u20124567 "]
)
def test_a_session_key_is_normalised_from_what_customers_type(raw):
    assert adapter().normalise_key(raw) == "1234567"


@pytest.mark.parametrize(
    ("raw", "letters", "code", "count"),
    [
        ("123456", False, "length", 6),
        ("12345678", False, "length", 8),
        ("12a4567", False, "characters", 0),
        ("12٣4567", False, "characters", 0),  # an Arabic-Indic digit is not the vendor's ASCII
        ("ab1234", True, "length", 6),
    ],
)
def test_a_session_key_that_does_not_fit_says_why(raw, letters, code, count):
    with pytest.raises(InvalidKey) as caught:
        adapter(allow_letters_in_key=letters).normalise_key(raw)
    assert (caught.value.code, caught.value.count) == (code, count)


def test_letters_are_accepted_only_where_the_appliance_uses_them():
    assert adapter(allow_letters_in_key=True).normalise_key("ab1 2cd3") == "ab12cd3"
    rule = adapter(allow_letters_in_key=True).key_rule()
    assert (rule.length, rule.letters, rule.pin, rule.external_key) == (7, True, False, True)


def test_backend_problems_name_the_field_to_fix():
    assert adapter(client_id="portal").backend_problems().keys() == {"client_secret"}
    assert adapter(client_secret="s3cret").backend_problems().keys() == {"client_id"}
    with_path = Backend(kind=Backend.Kind.MODERN, base_url=APPLIANCE + "/portal")
    assert adapter_for(with_path).backend_problems().keys() == {"base_url"}
    assert adapter(client_id="portal", client_secret="s3cret").backend_problems() == {}


def order(flow: str, **values) -> StartOrder:
    values.setdefault("customer", Typed())
    return StartOrder(flow=flow, locale="de", **values)


def test_a_key_start_sends_the_key_language_and_external_key():
    outcome = adapter().start(order(StartFlow.KEY, key="1234567", customer=Typed(external_key="T-1")))
    assert outcome.url.startswith(APPLIANCE + "/api/start_session?")
    assert query_of(outcome.url) == [
        ("short_key", "1234567"),
        ("locale", "de"),
        ("session.custom.external_key", "T-1"),
    ]


def test_a_rep_picked_in_the_issue_menu_is_an_issue_start_by_the_reps_id():
    outcome = adapter().start(
        order(StartFlow.REP_IN_ISSUE_MENU, rep_id=12, chat=True, customer=Typed(name="Ana"))
    )
    assert query_of(outcome.url) == [
        ("issue_menu", "1"),
        ("id", "12"),
        ("c2cjs", "1"),
        ("customer.name", "Ana"),
        ("locale", "de"),
    ]


def test_an_issue_start_uses_the_numeric_id_when_there_is_one_else_the_code_name():
    by_code = Issue(code_name="printer", display_name="Printer", priority=2, skills="hw,print")
    assert query_of(adapter().start(order(StartFlow.ISSUE, issue=by_code)).url) == [
        ("issue_menu", "1"),
        ("codeName", "printer"),
        ("locale", "de"),
        ("session.priority", "2"),
        ("session.skills", "hw,print"),
    ]
    by_id = Issue(code_name="printer", display_name="Printer", vendor_id=31)
    assert query_of(adapter().start(order(StartFlow.ISSUE, issue=by_id)).url)[:2] == [
        ("issue_menu", "1"),
        ("id", "31"),
    ]


def test_the_platform_is_sent_only_when_the_backend_asks_for_it():
    windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    sent = adapter(send_platform=True).start(order(StartFlow.KEY, key="1234567", user_agent=windows))
    assert ("platform", "winNT-64") in query_of(sent.url)
    unsent = adapter().start(order(StartFlow.KEY, key="1234567", user_agent=windows))
    assert "platform" not in dict(query_of(unsent.url))


def test_there_is_no_technician_start_on_beyondtrust():
    with pytest.raises(ValueError):
        adapter().start(order(StartFlow.TECHNICIAN))


def test_the_rep_list_cache_key_changes_with_the_address():
    one = adapter_for(Backend(pk=4, kind=Backend.Kind.MODERN, base_url=APPLIANCE))
    other = adapter_for(Backend(pk=4, kind=Backend.Kind.MODERN, base_url="https://other.example.com"))
    assert one.rep_list_cache_key() != other.rep_list_cache_key()
    assert one.breaker().key == other.breaker().key  # one breaker per backend
