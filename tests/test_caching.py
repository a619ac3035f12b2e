"""One caching module (docs/decisions/0061-one-caching-module.md): cached reads are frozen
values or per-request copies, the memo is bounded, every cached view uses the one page-cache
decorator, and the API token memo is the same memo."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from portal import caching, selectors
from portal.models import Issue, IssueTranslation, Site, SiteHostname
from portal.tokens import authenticate_token, create_api_token

pytestmark = pytest.mark.django_db


def test_cached_issues_are_frozen_and_a_translation_never_reaches_the_row(site, issues):
    IssueTranslation.objects.create(issue=issues["printing"], language="de", display_name="Drucken")
    german = {issue.code_name: issue for issue in selectors.active_issues(site=site, language="de")}
    printing = german["printing"]
    assert not isinstance(printing, Issue)  # nothing here has a .save()
    assert printing.display_name == "Drucken"
    with pytest.raises(dataclasses.FrozenInstanceError):
        printing.display_name = "Printer"
    # The cached German name is the translation's, the issue's own name stays its own.
    assert Issue.objects.get(pk=printing.pk).display_name == "Printing"
    english = {issue.code_name: issue for issue in selectors.active_issues(site=site, language="en-us")}
    assert english["printing"].display_name == "Printing"
    assert english["printing"].skill_list == ("printing", "windows")


def test_cached_custom_fields_are_frozen_with_translated_choices(site, custom_fields):
    from portal.models import CustomFieldTranslation

    CustomFieldTranslation.objects.create(
        field=custom_fields["urgency"], language="de", label="Dringlichkeit", choices="high|Hoch"
    )
    fields = {field.code_name: field for field in selectors.custom_fields_for_site(site=site, language="de")}
    urgency = fields["urgency"]
    assert (urgency.label, urgency.choice_list) == ("Dringlichkeit", [("low", "Low"), ("high", "Hoch")])
    with pytest.raises(dataclasses.FrozenInstanceError):
        urgency.label = "Urgency"
    urgency.choice_labels["high"] = "changed"  # a fresh dict each time: changes reach nothing
    assert dict(urgency.choices)["high"] == "Hoch"
    assert fields["printer_model"].issue_codes == ("printing",)


def test_each_request_gets_its_own_site_instance(site):
    first = selectors.site_for_host("localhost")
    first.name = "Changed by one request"
    with CaptureQueriesContext(connection) as queries:
        second = selectors.site_for_host("localhost")
    assert len(queries) == 0  # from the memo
    assert second is not first and second.name == "Acme Support"


def test_hostnames_no_site_claims_share_one_entry(site, settings, django_assert_num_queries):
    """A portal that answers a wildcard (DJANGO_ALLOWED_HOSTS=.example.com) gets the default
    site for every name no site claims: a client inventing a name per request must cost no
    query, no shared-cache entry and no memo entry each (the memo holds every site and token)."""
    # A second site claims the name, so a claimed name is seen to reach its own site.
    branch = Site.objects.create(name="Acme Branch", backend=site.backend)
    SiteHostname.objects.create(site=branch, hostname="help.example.com")
    # From an empty memo: one the earlier tests filled to its size evicts as it is written,
    # and its count would say nothing.
    caching.memo.clear()
    assert selectors.site_for_host("first.example.com").pk == site.pk
    assert selectors.site_for_host("HELP.example.com.:443").pk == branch.pk
    kept = len(caching.memo)
    with django_assert_num_queries(0):
        for number in range(50):
            assert selectors.site_for_host(f"n{number}.example.com:8443").pk == site.pk
        assert selectors.site_for_host("help.example.com").pk == branch.pk
    assert len(caching.memo) == kept


def test_the_schedule_is_a_frozen_value(site):
    schedule = selectors.site_schedule(site=site)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.hours = ()


def test_the_memo_is_bounded_in_size():
    memo = caching.ProcessMemo(maxsize=3, ttl=60)
    for number in range(10):
        memo.set(number, number)
    assert len(memo) == 3
    assert memo.get(9) == 9 and memo.get(0) is None


def test_the_api_token_memo_is_the_caching_modules_memo(site, django_assert_num_queries):
    secret = create_api_token(site=site, name="desk").secret
    assert authenticate_token(secret) is not None
    with django_assert_num_queries(0):
        assert authenticate_token(secret) is not None
    caching.memo.clear()  # the one memo: clearing it forgets the token too
    with django_assert_num_queries(1):
        assert authenticate_token(secret) is not None


@pytest.mark.parametrize("path", ["/", "/key/", "/survey/", "/reps/", "/technicians/"])
def test_every_customer_page_view_is_behind_the_one_page_cache(path):
    view = resolve(path).func
    assert view.__wrapped__ is not None and view.__module__ == "portal.views.flows"
    assert view.__code__ is caching.customer_page_cache(lambda request: None).__code__


def test_a_page_from_the_cache_keeps_its_sites_frame_ancestors(client, site):
    site.frame_ancestors = "https://help.example.org"
    site.save()
    first = client.get("/key/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/key/")
    assert len(queries) == 0
    assert "frame-ancestors https://help.example.org" in second["Content-Security-Policy"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "X-Frame-Options" not in second


def test_the_closed_page_and_a_reps_menu_survey_are_exempt(client, site, issues):
    site.show_reps_in_issue_menu = True
    site.save()
    first = client.get("/survey/")
    assert first.status_code == 200 and "no-cache" in first["Cache-Control"]
    assert getattr(first, "customer_page_cache_exempt", False)
    assert not hasattr(first, "page_cache_key")
