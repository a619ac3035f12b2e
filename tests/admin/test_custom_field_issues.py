"""A custom field's issues are its own site's: the admin names each issue with its site and
refuses another site's (portal/admin/sites.py, CustomFieldForm)."""

import pytest
from django.urls import reverse

from portal.models import Backend, CustomField, Issue, Site
from tests.parsed_html import elements

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sites(site):
    other = Site.objects.create(
        name="Other Support",
        backend=Backend.objects.create(
            name="Other", kind=Backend.Kind.MODERN, base_url="https://o.example.com"
        ),
    )
    ours = Issue.objects.create(site=site, code_name="printing", display_name="Printing problems")
    theirs = Issue.objects.create(site=other, code_name="printing", display_name="Printing problems")
    return site, other, ours, theirs


def post_field(admin_client, site, issues):
    return admin_client.post(
        reverse("admin:portal_customfield_add"),
        {
            "site": site.pk,
            "code_name": "serial",
            "label": "Serial number",
            "field_type": "text",
            "max_length": 64,
            "order": 0,
            "active": "on",
            "prefill_allowed": "on",
            "issues": [issue.pk for issue in issues],
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
        },
    )


def test_each_issue_is_named_with_its_site(admin_client, two_sites):
    site, other, ours, theirs = two_sites
    page = admin_client.get(reverse("admin:portal_customfield_add"))
    [select] = elements(page.content, "select", name="issues")
    labels = {option.attrs["value"]: option.text for option in elements(select, "option")}
    assert labels[str(ours.pk)] == "Acme Support · Printing problems (printing)"
    assert labels[str(theirs.pk)] == "Other Support · Printing problems (printing)"


def test_another_sites_issue_is_refused_by_the_field(admin_client, two_sites):
    site, other, ours, theirs = two_sites
    response = post_field(admin_client, site, [ours, theirs])
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["issues"] == [
        "These issues belong to another site: Other Support · Printing problems."
    ]
    assert not CustomField.objects.exists()
    assert post_field(admin_client, site, [ours]).status_code == 302
    assert list(CustomField.objects.get(code_name="serial").issues.all()) == [ours]
