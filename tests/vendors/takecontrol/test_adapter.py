"""The Take Control adapter (docs/decisions/0055-vendor-adapters-and-registry.md): the PIN,
the admin's settings, the origins a start may go to, the redirect start."""

from __future__ import annotations

import pytest

from portal.models import Backend, Department, Issue, Technician
from portal.vendors.base import InvalidKey, StartFlow, StartOrder
from portal.vendors.registry import adapter_for
from portal.vendors.takecontrol.adapter import TakeControlAdapter
from tests.conftest import query_of
from tests.vendors.beyondtrust.test_adapter import Typed

API_DOMAIN = "https://api.us0.swi-rc.com/rest"


def takecontrol(**fields) -> TakeControlAdapter:
    values = {"kind": Backend.Kind.TAKECONTROL, "base_url": API_DOMAIN, "tc_uid": "e148|2109", **fields}
    found = adapter_for(Backend(**values))
    assert isinstance(found, TakeControlAdapter)
    return found


def test_the_key_is_a_nine_digit_pin_without_an_external_key():
    rule = takecontrol().key_rule()
    assert (rule.length, rule.pin, rule.external_key) == (9, True, False)
    assert takecontrol().normalise_key("123 456-７８９") == "123456789"


@pytest.mark.parametrize(("raw", "code"), [(" - ", "empty"), ("12345678a", "characters"), ("1234", "length")])
def test_a_pin_that_does_not_fit_says_why(raw, code):
    with pytest.raises(InvalidKey) as caught:
        takecontrol().normalise_key(raw)
    assert caught.value.code == code


def test_each_start_mode_needs_its_own_setting():
    assert takecontrol(tc_uid="").backend_problems().keys() == {"tc_uid"}
    assert takecontrol(tc_mode="rest").backend_problems().keys() == {"tc_public_key"}
    assert takecontrol(tc_mode="rest", tc_public_key="02.pub").backend_problems() == {}
    assert takecontrol(tc_pin_url_template="https://startcontrol.com/").backend_problems().keys() == {
        "tc_pin_url_template"
    }


def test_the_customer_may_be_sent_to_the_api_domain_and_the_pin_page():
    origins = takecontrol(tc_pin_url_template="https://pin.example.net/go/{pin}").redirect_origins()
    assert origins == [API_DOMAIN, "https://pin.example.net/go/0"]


def test_a_pin_start_fills_the_template():
    outcome = takecontrol().start(
        StartOrder(flow=StartFlow.KEY, customer=Typed(), locale="fr", key="123456789")
    )
    assert outcome.url == "https://startcontrol.com/123456789"


def test_a_technician_chosen_from_the_list_routes_the_redirect_start():
    issue = Issue(code_name="printer", department=Department(department_id=42))
    chosen = Technician(username="tech@example.com")
    outcome = takecontrol().start(
        StartOrder(
            flow=StartFlow.TECHNICIAN,
            customer=Typed(name="Ana", email="ana@example.com"),
            locale="fr",
            issue=issue,
            technician=chosen,
        )
    )
    assert outcome.url.startswith("https://api.us0.swi-rc.com/integration/integration_api.php?")
    assert query_of(outcome.url) == [
        ("uid", "e148|2109"),
        ("department", "42"),
        ("tech", "tech@example.com"),
        ("customer_name", "Ana"),
        ("customer_email", "ana@example.com"),
    ]


def test_a_broken_setting_is_an_unavailable_start_not_an_exception():
    outcome = takecontrol(tc_uid="").start(StartOrder(flow=StartFlow.ISSUE, customer=Typed(), locale="fr"))
    assert (outcome.url, outcome.failure) == ("", "unavailable")
