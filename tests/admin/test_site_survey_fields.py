"""A site's change form shows the survey fields its backend's starts carry, and only those
(portal/admin/sites.py, `SiteAdmin.get_fieldsets`): a Take Control start has no company or
external key, a BeyondTrust start no email or customer number."""

import pytest
from django.urls import reverse

from portal.models import Backend, Site
from tests.admin.test_translations import change_form_data

ALL = [
    "name_field",
    "company_field",
    "company_code_field",
    "details_field",
    "email_field",
    "customer_number_field",
    "external_key_field",
    "external_key_label",
]
BEYONDTRUST = [
    "name_field",
    "company_field",
    "company_code_field",
    "details_field",
    "external_key_field",
    "external_key_label",
]
TAKECONTROL = ["name_field", "email_field", "customer_number_field", "details_field"]


@pytest.fixture
def takecontrol_site(db):
    backend = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    # Modes a BeyondTrust site could have left behind: a Take Control start carries neither.
    return Site.objects.create(
        name="Take Control support", backend=backend, company_field="required", external_key_field="required"
    )


def survey_fieldset(response) -> tuple[list[str], str]:
    """The "Survey fields" fieldset of a change form (the one with the name field, in any
    language): its field names and its description."""
    for fieldset in response.context["adminform"]:
        names = [field.field.name for line in fieldset for field in line]
        if "name_field" in names:
            return names, str(fieldset.description or "")
    raise AssertionError("no Survey fields fieldset")


def fields_on_the_page(response) -> set[str]:
    html = response.content.decode()
    return {name for name in ALL if f'name="{name}"' in html}


def test_a_beyondtrust_site_shows_the_fields_its_starts_carry(admin_client, site):
    response = admin_client.get(reverse("admin:portal_site_change", args=[site.pk]))
    names, description = survey_fieldset(response)
    assert names == BEYONDTRUST
    assert fields_on_the_page(response) == set(BEYONDTRUST)
    assert "The form fields BeyondTrust Remote Support receives when a session starts." in description


def test_a_take_control_site_shows_name_email_number_and_details_only(admin_client, takecontrol_site):
    response = admin_client.get(reverse("admin:portal_site_change", args=[takecontrol_site.pk]))
    names, description = survey_fieldset(response)
    assert names == TAKECONTROL
    assert fields_on_the_page(response) == set(TAKECONTROL)
    assert "The form fields N-able Take Control receives when a session starts." in description
    assert "save the site to see the new backend's fields" in description


def test_a_new_site_shows_every_survey_field(admin_client, backend):
    response = admin_client.get(reverse("admin:portal_site_add"))
    names, _description = survey_fieldset(response)
    assert names == ALL
    assert fields_on_the_page(response) == set(ALL)


def test_saving_a_take_control_site_keeps_the_fields_it_does_not_show(admin_client, takecontrol_site):
    url = reverse("admin:portal_site_change", args=[takecontrol_site.pk])
    data = change_form_data(admin_client, url, email_field="required", customer_number_field="optional")
    # A hand-made POST with a field the form does not have changes nothing either.
    data["company_field"] = "hidden"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    takecontrol_site.refresh_from_db()
    assert (takecontrol_site.email_field, takecontrol_site.customer_number_field) == ("required", "optional")
    assert (takecontrol_site.company_field, takecontrol_site.external_key_field) == ("required", "required")


def test_the_description_is_in_the_admins_language(admin_client, takecontrol_site):
    response = admin_client.get(
        reverse("admin:portal_site_change", args=[takecontrol_site.pk]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert (
        "Die Formularfelder, die N-able Take Control beim Start einer Sitzung erhält."
        in response.content.decode()
    )


def test_a_label_the_survey_never_shows_needs_no_translation(takecontrol_site, site):
    """The external key's label is a text to translate only where the survey asks for the
    key: a Take Control site (whose form cannot even set the mode) is never told it is
    missing, a BeyondTrust site with the same settings is."""
    from portal.translation_coverage import missing_site_languages

    for each in (takecontrol_site, site):
        each.external_key_field, each.external_key_label = "required", "Case ID"
        each.enabled_languages = ["en-us", "de"]
        each.save()
    assert missing_site_languages(Site.objects.get(pk=takecontrol_site.pk)) == []
    assert missing_site_languages(Site.objects.get(pk=site.pk)) == ["de"]
