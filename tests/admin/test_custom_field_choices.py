"""A choice field's choices are what the survey can show: each value once, none empty
(portal.models.CustomField.clean)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.models import CustomField

pytestmark = pytest.mark.django_db


def choice_field(site, choices: str) -> CustomField:
    return CustomField(site=site, code_name="urgency", label="Urgency", field_type="choice", choices=choices)


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ("", "A choice field needs at least one choice."),
        ("a|A\n|Empty", "Each choice needs a value before the |."),
        ("a|A\n  |Blank", "Each choice needs a value before the |."),
        ("a|A\nb|B\na|Again", "Each value may be listed once; listed more than once: a."),
        ("b\na\nb|B\na|A\nc", "Each value may be listed once; listed more than once: a, b."),
    ],
)
def test_choices_the_survey_could_not_show_are_refused(site, choices, message):
    with pytest.raises(ValidationError) as refused:
        choice_field(site, choices).full_clean()
    assert refused.value.message_dict["choices"] == [message]


def test_distinct_values_with_or_without_labels_are_fine(site):
    choice_field(site, "low|Low\nhigh\n\nurgent|Right now").full_clean()


def test_the_admin_shows_the_message_by_the_field(admin_client, site):
    response = admin_client.post(
        reverse("admin:portal_customfield_add"),
        {
            "site": site.pk,
            "code_name": "urgency",
            "label": "Urgency",
            "field_type": "choice",
            "max_length": 255,
            "choices": "a|A\na|B",
            "order": 0,
            "active": "on",
            "prefill_allowed": "on",
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["choices"] == [
        "Each value may be listed once; listed more than once: a."
    ]
    assert not CustomField.objects.exists()
