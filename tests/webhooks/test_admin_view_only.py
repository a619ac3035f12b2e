"""A receiver's key in its webhook address (?sig=, ?token=, credentials) stays unseen by staff
who may not change the endpoint: they read the address without its query or credentials on
every endpoint and delivery page, and cannot search by it; those who may change it see it whole."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.webhooks import services
from portal.webhooks.models import Delivery, Endpoint
from tests.admin.test_view_only_secrets import shown, viewer
from tests.parsed_html import elements

pytestmark = pytest.mark.django_db

KEY = "receiver-key-0123456789abcdef"
URL = f"https://hooks.example.com/portal/in?sig={KEY}&token={KEY}"
WITHOUT_KEY = "https://hooks.example.com/portal/in"


@pytest.fixture
def endpoint(site):
    endpoint = Endpoint.objects.create(site=site, url=URL, secret="s" * 20)
    services.send_test_event(endpoint=endpoint)
    return endpoint


def url_cells(page: str) -> list[str]:
    return [cell.text for cell in elements(page, "td", class_="field-url_without_secrets")]


def test_a_viewer_sees_endpoint_addresses_without_their_keys_on_every_page(client, endpoint):
    viewer(client, "view_endpoint", "view_delivery")
    delivery = Delivery.objects.get()
    pages = {
        "endpoints": reverse("admin:webhooks_endpoint_changelist"),
        "endpoint": reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
        "deliveries": reverse("admin:webhooks_delivery_changelist"),
        "delivery": reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
    }
    read = {name: client.get(url).content.decode() for name, url in pages.items()}
    for name, page in read.items():
        assert KEY not in page, name
    assert url_cells(read["endpoints"]) == [WITHOUT_KEY]
    assert shown(read["endpoint"], "url_without_secrets") == WITHOUT_KEY


def test_a_viewer_cannot_find_an_endpoint_by_its_key(client, admin_client, endpoint):
    changelist = reverse("admin:webhooks_endpoint_changelist")
    assert list(admin_client.get(changelist, {"q": KEY[:8]}).context["cl"].result_list) == [endpoint]
    found = viewer(client, "view_endpoint").get(changelist, {"q": KEY[:8]}).context["cl"].result_list
    assert list(found) == []


def test_credentials_in_an_address_saved_before_are_left_out_too(site):
    endpoint = Endpoint.objects.create(site=site, url="https://user:pw-secret@hooks.example.com/in?x=1")
    assert endpoint.url_without_secrets == "https://hooks.example.com/in"


def test_who_may_change_the_endpoint_sees_its_address_whole(client, admin_client, endpoint):
    page = admin_client.get(reverse("admin:webhooks_endpoint_changelist")).content.decode()
    assert [cell.text for cell in elements(page, "td", class_="field-url")] == [URL]
    page = admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    assert URL.replace("&", "&amp;") in page
