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


# ------------------------------------------------------------------------------
# "Save as new" posts a change page to the add form: the copy is checked against the fields
# that page showed, and takes the defaults of those it did not show (a BeyondTrust page has no
# email or customer number, a Take Control page no company, external key or rep-list refresh)
# ------------------------------------------------------------------------------
def save_as_new(admin_client, original, **changes):
    url = reverse("admin:portal_site_change", args=[original.pk])
    data = change_form_data(admin_client, url, **changes)
    data.pop("is_default", None)  # a copy of the default site is not the default
    return data, admin_client.post(url, {**data, "_saveasnew": "Save as new"})


def test_save_as_new_of_a_beyondtrust_site_saves_at_once(admin_client, site):
    site.backend.client_id, site.backend.client_secret = "id", "secret"  # for its rep list
    site.backend.save()
    Site.objects.filter(pk=site.pk).update(company_field="required", email_field="required")
    site.hostnames.create(hostname="support.example.com")
    data, response = save_as_new(
        admin_client,
        site,
        name="Acme Branch",
        details_field="optional",
        **{"hostnames-0-hostname": "branch.example.com"},
    )
    assert not {"email_field", "customer_number_field"} & set(data)  # the page had none
    assert response.status_code == 302, response.context["adminform"].form.errors
    copy = Site.objects.get(name="Acme Branch")
    assert [copy.name_field, copy.company_field, copy.company_code_field, copy.details_field] == [
        "required",
        "required",
        "optional",
        "optional",
    ]
    assert (copy.external_key_field, copy.warning_text) == ("optional", "Only continue if you called us.")
    # What BeyondTrust does not receive, the page did not show: the defaults, not the original's.
    assert (copy.email_field, copy.customer_number_field) == ("optional", "hidden")
    assert list(copy.hostnames.values_list("hostname", flat=True)) == ["branch.example.com"]
    assert (copy.is_default, copy.backend) == (False, site.backend)
    assert list(site.hostnames.values_list("hostname", flat=True)) == ["support.example.com"]


def test_save_as_new_of_a_take_control_site_saves_at_once(admin_client, takecontrol_site):
    Site.objects.filter(pk=takecontrol_site.pk).update(
        email_field="required", customer_number_field="optional", rep_list_ttl=120
    )
    takecontrol_site.hostnames.create(hostname="tc.example.com")
    data, response = save_as_new(
        admin_client,
        takecontrol_site,
        name="TC Branch",
        welcome_text="Hello",
        **{"hostnames-0-hostname": "tc-branch.example.com"},
    )
    assert not {"company_field", "external_key_field", "rep_list_ttl", "chat_mode"} & set(data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    copy = Site.objects.get(name="TC Branch")
    assert (copy.email_field, copy.customer_number_field, copy.welcome_text) == (
        "required",
        "optional",
        "Hello",
    )
    # Not on the page (values left from BeyondTrust, or settings Take Control never reads).
    assert (copy.company_field, copy.external_key_field) == ("optional", "hidden")
    assert (copy.rep_list_ttl, copy.chat_mode) == (30, "off")
    assert list(copy.hostnames.values_list("hostname", flat=True)) == ["tc-branch.example.com"]
    assert copy.backend == takecontrol_site.backend


def test_a_refused_save_as_new_shows_the_fields_the_page_had_with_the_admins_input(admin_client, site):
    site.backend.client_id, site.backend.client_secret = "id", "secret"
    site.backend.save()
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = change_form_data(admin_client, url, name="Acme Branch", company_field="required")
    response = admin_client.post(url, {**data, "_saveasnew": "Save as new"})  # still the default
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["__all__"]  # only the second default, nothing unseen
    names, _description = survey_fieldset(response)
    assert names == BEYONDTRUST
    html = response.content.decode()
    assert fields_on_the_page(response) == set(BEYONDTRUST)
    assert 'name="name" value="Acme Branch"' in html
    assert form["company_field"].value() == "required"
    assert Site.objects.count() == 1


def test_a_new_site_keeps_every_survey_field_it_was_given(admin_client, backend):
    """A plain add, as before: the add page has every field, and the site keeps them all, also
    those its backend's starts do not carry."""
    url = reverse("admin:portal_site_add")
    data = change_form_data(
        admin_client, url, name="New", backend=str(backend.pk), show_rep_list="", email_field="required"
    )
    del data["show_rep_list"]  # unticked: no rep list, so no API credentials needed
    assert set(ALL) <= set(data)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Site.objects.get(name="New").email_field == "required"
    # Refused for another reason, the add page comes back with every field still.
    data["name"] = ""
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert fields_on_the_page(response) == set(ALL)
