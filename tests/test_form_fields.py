"""Every form instance works on its own copy of its class's declared fields
(portal/forms.py, `copy_field`): what one customer's form changes never reaches the next."""

import copy

from django import forms

from portal.forms import PinForm, SessionKeyForm, TechnicianForm, key_form
from portal.models import Backend


def test_each_form_changes_only_its_own_fields():
    pin = key_form(Backend(kind=Backend.Kind.TAKECONTROL, base_url="https://tc.example.com"))
    assert isinstance(pin, PinForm)
    field = pin.fields["key"]
    assert field.label == "PIN" and field.error_messages["required"] == PinForm.PIN_ERRORS["empty"]
    field.widget.attrs["inputmode"] = "text"
    field.validators.append(lambda value: None)
    pin.fields["locale"].widget.attrs["data-x"] = "1"

    key = key_form(Backend(kind=Backend.Kind.MODERN, base_url="https://support.example.com"))
    assert type(key) is SessionKeyForm
    field = key.fields["key"]
    assert field.label == "Session key"
    assert field.error_messages["required"] == "Please enter the session key your technician gave you."
    assert field.widget.attrs["inputmode"] == "numeric"
    assert field.validators == SessionKeyForm.base_fields["key"].validators
    assert "data-x" not in key.fields["locale"].widget.attrs


def test_the_copy_is_what_deepcopy_makes():
    declared = SessionKeyForm.base_fields
    made = SessionKeyForm(adapter=key_form(Backend(kind=Backend.Kind.MODERN)).adapter).fields
    reference = copy.deepcopy(dict(declared))
    assert list(made) == list(reference)
    for name, field in made.items():
        assert field is not declared[name] and field.widget is not declared[name].widget
        assert type(field) is type(reference[name]) and type(field.widget) is type(reference[name].widget)
        own = {"widget", "error_messages", "validators"}
        assert {k: v for k, v in vars(field).items() if k not in own} == {
            k: v for k, v in vars(reference[name]).items() if k not in own
        }
        assert field.error_messages == reference[name].error_messages
        assert field.error_messages is not declared[name].error_messages
        assert field.validators == reference[name].validators
        assert field.validators is not declared[name].validators
        assert vars(field.widget) == vars(reference[name].widget)
        assert field.widget.attrs is not declared[name].widget.attrs


def test_choice_fields_keep_djangos_deepcopy_and_their_own_choices():
    first = TechnicianForm(technicians=[])
    first.fields["technician"].choices = [(1, "Ann")]
    second = TechnicianForm(technicians=[])
    assert isinstance(second.fields["technician"], forms.TypedChoiceField)
    assert list(second.fields["technician"].choices) == []
    assert list(TechnicianForm.base_fields["technician"].choices) == []
