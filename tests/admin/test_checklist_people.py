"""The set-up checklist warns when a site shows its list of people and the backend's last known
list is empty, in the vendor's words, from what the portal already holds: rendering the admin
never asks the vendor (docs/decisions/0118-checklist-empty-person-list.md)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from portal.models import Site, Technician
from portal.vendors.cache import wait_for_refreshes
from tests.admin.test_setup import checklist
from tests.conftest import site_on_fake_appliance
from tests.fakes.takecontrol import takecontrol_backend

pytestmark = pytest.mark.django_db

NOBODY_LOGGED_IN = "had no representative logged in with “Showing On Representative List” ticked"
NO_TECHNICIAN = "lists no technician"


def people_items(admin_client, language: str = "en-us") -> list[dict]:
    """The checklist items about the list of people, of the one site."""
    parsed = checklist(admin_client, language)
    (entries,) = parsed.sites.values()
    return [
        entry
        for entry in entries
        if "Representative list" in entry["text"] or "Technician list" in entry["text"]
    ]


def customer_opens_the_rep_list(client) -> None:
    """A customer's visit fills the cached list, as in production; the refresh is awaited."""
    assert client.get("/reps/").status_code == 200
    assert wait_for_refreshes(5)


@pytest.fixture
def bt_site(fake) -> Site:
    return site_on_fake_appliance(fake)


@pytest.fixture
def tc_site(takecontrol_server) -> Site:
    backend = takecontrol_backend(takecontrol_server.rest_url)
    return Site.objects.create(name="Acme Support", is_default=True, backend=backend)


def test_an_empty_rep_list_is_a_to_do_linking_to_the_site(admin_client, client, fake, bt_site):
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    customer_opens_the_rep_list(client)
    asked = fake.count("get_logged_in_reps")
    (found,) = people_items(admin_client)
    assert found["text"].startswith("To do: Representative list")
    assert f"when the portal last asked, Lab {NOBODY_LOGGED_IN}" in found["text"]
    assert "“Nobody is available right now”" in found["text"]
    assert found["links"] == [reverse("admin:portal_site_change", args=[bt_site.pk])]
    assert fake.count("get_logged_in_reps") == asked  # the admin page asked nobody


def test_a_rep_list_never_fetched_says_nothing_and_is_not_fetched(admin_client, fake, bt_site):
    assert people_items(admin_client) == []
    assert fake.count("get_logged_in_reps") == 0


def test_a_rep_list_with_someone_on_it_says_nothing(admin_client, client, fake, bt_site):
    customer_opens_the_rep_list(client)  # the fake's usual list has public reps
    assert fake.count("get_logged_in_reps") == 1
    assert people_items(admin_client) == []


def test_an_empty_rep_list_says_nothing_once_it_has_expired(admin_client, client, fake, bt_site):
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    customer_opens_the_rep_list(client)
    assert len(people_items(admin_client)) == 1
    cache.clear()  # past the hard TTL: the list is unknown again
    assert people_items(admin_client) == []


def test_an_empty_rep_list_on_a_site_that_hides_it_says_nothing(admin_client, client, fake, bt_site):
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    customer_opens_the_rep_list(client)
    Site.objects.filter(pk=bt_site.pk).update(show_rep_list=False)
    assert people_items(admin_client) == []


def test_no_listed_technician_is_a_to_do_linking_to_the_backend(admin_client, takecontrol_server, tc_site):
    Technician.objects.create(
        backend=tc_site.backend, display_name="Robin", username="robin@example.com", listed=False
    )
    (found,) = people_items(admin_client)
    assert found["text"].startswith("To do: Technician list")
    assert f"Take Control {NO_TECHNICIAN}" in found["text"]
    assert "“No technicians are listed right now”" in found["text"]
    assert found["links"] == [reverse("admin:portal_backend_change", args=[tc_site.backend.pk])]
    assert admin_client.get(found["links"][0]).status_code == 200
    assert takecontrol_server.calls() == []  # the admin page asked nobody


def test_a_listed_technician_or_a_hidden_list_says_nothing(admin_client, takecontrol_server, tc_site):
    assert len(people_items(admin_client)) == 1
    Site.objects.filter(pk=tc_site.pk).update(show_rep_list=False)
    assert people_items(admin_client) == []
    Site.objects.filter(pk=tc_site.pk).update(show_rep_list=True)
    Technician.objects.create(backend=tc_site.backend, display_name="Robin", username="robin@example.com")
    assert people_items(admin_client) == []


def people_item_text(admin_client, language: str) -> tuple[str, str]:
    """The list-of-people item's text in English and in `language`: the same place in both."""
    (english,) = checklist(admin_client).sites.values()
    (translated,) = checklist(admin_client, language).sites.values()
    (index,) = [
        at
        for at, entry in enumerate(english)
        if "Representative list" in entry["text"] or "Technician list" in entry["text"]
    ]
    assert len(translated) == len(english)
    return english[index]["text"], translated[index]["text"]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en-us"])
def test_both_warnings_are_translated(admin_client, client, fake, takecontrol_server, language):
    """Each language's checklist has its own words for both vendors' warnings."""
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    site = site_on_fake_appliance(fake)
    customer_opens_the_rep_list(client)
    english_bt, translated_bt = people_item_text(admin_client, language)
    Site.objects.filter(pk=site.pk).update(backend=takecontrol_backend(takecontrol_server.rest_url))
    english_tc, translated_tc = people_item_text(admin_client, language)
    assert "Lab" in translated_bt and "Take Control" in translated_tc
    assert NOBODY_LOGGED_IN not in translated_bt and translated_bt != english_bt
    assert NO_TECHNICIAN not in translated_tc and translated_tc != english_tc
