"""Values an older version stored and today's rules refuse: an IPv6 backend address (no page's
security policy can name it) and IPv6 embedding origins. Each is made with the ORM, as that
version saved it; customers meet "temporarily unavailable", never a broken redirect
(docs/decisions/0126-values-stored-before-todays-rules.md)."""

from __future__ import annotations

import logging

import pytest

from portal.models import Backend, StartRequest
from tests.conftest import form_data
from tests.fakes.takecontrol import takecontrol_backend

pytestmark = pytest.mark.django_db

IPV6_APPLIANCE = "https://[2001:db8::1]"


def test_a_survey_on_a_backend_stored_with_an_ipv6_address_is_temporarily_unavailable(
    client, site, issues, caplog
):
    Backend.objects.filter(pk=site.backend_id).update(base_url=IPV6_APPLIANCE)
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/survey/", form_data(issue="printing", name="Jane Doe", details="Printer offline")
        )
    assert response.status_code == 503
    html = response.content.decode()
    assert "temporarily unavailable" in html
    assert "2001:db8" not in html and "Location" not in response
    assert StartRequest.objects.latest("id").outcome == StartRequest.Outcome.FAILED
    assert any("Appliance" in r.getMessage() and "base_url" in r.getMessage() for r in caplog.records)


def test_a_pin_start_with_an_ipv6_pin_template_is_temporarily_unavailable(client, site):
    backend = takecontrol_backend("https://api.us0.swi-rc.com/rest")
    Backend.objects.filter(pk=backend.pk).update(tc_pin_url_template="https://[2001:db8::2]/{pin}")
    site.backend = backend
    site.save()
    response = client.post("/key/", form_data(key="123456789"))
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()


def test_a_backend_whose_addresses_pass_starts_as_before(client, site, issues):
    response = client.post(
        "/survey/", form_data(issue="printing", name="Jane Doe", details="Printer offline")
    )
    assert response.status_code == 303
    assert response["Location"].startswith("https://support.example.com/")
