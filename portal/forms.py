"""Customer forms. They bind, validate and keep what the customer typed; they start nothing.

Every limit comes from `portal.vendors.limits` in the vendor's unit. Errors are translated,
name the limit, and never echo the offending value back into a message.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.models import Backend, CustomField, FieldMode, Site
from portal.text_rules import (  # noqa: F401  (STRIP_CHARS, strip_pattern: the page's counter)
    CONTROL,
    LINE_BREAK,
    NAME_FIELDS,
    NO_LETTER,
    STRIP_CHARS,
    UNSHOWABLE,
    CustomerField,
    name_problem,
    normalise,
    strip_pattern,
    text_problem,
)
from portal.vendors import limits
from portal.vendors.base import InvalidKey, VendorAdapter, customer_email_validator
from portal.vendors.registry import adapter_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from portal.selectors import LocalizedCustomField


FieldT = TypeVar("FieldT", bound=forms.Field)


def names_itself(field: FieldT, *codes: str) -> FieldT:
    """The field, its errors of these codes marked as naming it ("Please enter the session key
    your technician gave you."): the error summary lists such a message alone, as a link to the
    field, and any other ("Please fill in this field.") after the field's label, so no line
    says the field's name twice and none leaves it out (docs/decisions/0113-error-summary-lines.md)."""
    field.codes_naming_it = frozenset(codes)  # type: ignore[attr-defined]
    return field


# Also a name's characters a representative could not read or tell apart ("PC\u200bX", a
# private-use character; text_rules.name_problem): retyping it is the fix either way.
INVISIBLE_CHARACTERS = _("This contains invisible control characters. Please retype it.")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Strip, unify line ends, and refuse characters a vendor console cannot show
    (`portal.text_rules`, shared with the API)."""
    value = normalise(value)
    problem = text_problem(value, multiline=multiline)
    if problem == CONTROL:
        raise ValidationError(INVISIBLE_CHARACTERS, code="control")
    if problem == LINE_BREAK:
        raise ValidationError(_("Please keep this on one line."), code="line_break")
    return value


def chars_over(value: str, *, max_chars: int | None = None, max_bytes: int | None = None) -> int:
    """How many characters must go from the end of `value` (already cleaned) for it to fit.

    Customers count characters, whatever the vendor counts: where the vendor's limit is in
    UTF-8 bytes the answer depends on which characters they are. Whitespace left at the new
    end is stripped by clean_text, so it never needs deleting. static/portal/portal.js
    (`charsOver`) computes the same number for the live counter; keep the two alike.
    """
    fit = len(value) if max_chars is None else min(len(value), max_chars)
    if max_bytes is not None:
        # Each character is a byte at least: no more than max_bytes of them can fit, and only
        # those are encoded, so a value of megabytes costs what one just over the limit does.
        # What fits is the UTF-8 cut at max_bytes less a character the cut split ("ignore"),
        # done in C: every survey POST weighs its fields here, valid ones too.
        encoded = value[: min(fit, max_bytes)].encode()
        fit = len(encoded[:max_bytes].decode("utf-8", "ignore"))
    return len(value[fit:].lstrip(STRIP_CHARS))  # spaces left at the new end are stripped


def too_long_message(count: int) -> str:
    return ngettext(
        "This is %(count)d character too long. Please shorten it.",
        "This is %(count)d characters too long. Please shorten it.",
        count,
    ) % {"count": count}


def check_length(value: str, *, max_chars: int | None = None, max_bytes: int | None = None) -> None:
    """The vendor's limit, in its unit; the message in characters (the customer's unit)."""
    over = chars_over(value, max_chars=max_chars, max_bytes=max_bytes)
    if over:
        raise ValidationError(too_long_message(over), code="too_long")


def length_attrs(*, max_chars: int | None = None, max_bytes: int | None = None) -> dict:
    """The limits a widget publishes for its live counter (templatetags counter, portal.js)."""
    attrs = {}
    if max_chars:
        attrs["data-max-chars"] = max_chars
    if max_bytes:
        attrs["data-max-bytes"] = max_bytes
    return attrs


# A name of emoji or punctuation alone ("😀😀", "!!!") tells a representative nothing
# (docs/decisions/0051-shared-text-rules.md).
NAME_WITHOUT_LETTERS = _("Please enter a name with at least one letter or digit.")


class TextField(forms.CharField):
    """A text field limited in characters or UTF-8 bytes, without the browser's maxlength.

    A `maxlength` attribute silently cuts pasted text; the live counter and the server's
    message tell the customer instead, both in characters.
    """

    def __init__(
        self,
        *,
        max_chars: int | None = None,
        max_bytes: int | None = None,
        multiline: bool = False,
        a_name: bool = False,
        **kwargs,
    ):
        self.max_chars, self.max_bytes, self.multiline = max_chars, max_bytes, multiline
        self.a_name = a_name  # a person's name (text_rules.NAME_FIELDS): text_rules.name_problem
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}) if multiline else forms.TextInput)
        super().__init__(strip=False, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(length_attrs(max_chars=self.max_chars, max_bytes=self.max_bytes))
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value, multiline=self.multiline) if value else value

    def validate(self, value):
        super().validate(value)
        if value:
            check_length(value, max_chars=self.max_chars, max_bytes=self.max_bytes)
            problem = name_problem(value) if self.a_name else ""
            if problem == NO_LETTER:
                raise ValidationError(NAME_WITHOUT_LETTERS, code="no_letter_or_digit")
            if problem == UNSHOWABLE:
                raise ValidationError(INVISIBLE_CHARACTERS, code="control")


def over_custom_total(values: Sequence[str]) -> bool:
    """Whether values are over the vendor's total for all custom values together
    (docs/decisions/0005-beyondtrust-limits.md), as `SurveyForm._check_custom_total` counts."""
    return sum(limits.utf8_len(value) for value in values) > limits.CUSTOM_TOTAL_MAX_BYTES


def carried_external_key_field() -> TextField:
    """The external key a prefill link put in the page, carried along unseen.

    It goes to the vendor as the session's external key exactly like the survey's visible
    field, so it gets the same checks: one line, no control characters, the vendor's limit.
    """
    field = TextField(required=False, max_chars=limits.CUSTOM_FIELD_MAX_CHARS)
    field.widget = forms.HiddenInput()
    return field


def custom_field_required(field: LocalizedCustomField) -> StrOrPromise:
    """What a required custom field left blank says: a list or a yes/no has nothing to fill in."""
    if field.field_type in ("choice", "yes_no"):
        return _("Please choose an answer.")
    return _("Please fill in this field.")


def consent_field() -> forms.BooleanField:
    """The required tick under the site's consent text
    (docs/decisions/0036-trust-and-what-happens-next.md), on every start form."""
    return names_itself(
        forms.BooleanField(
            label=_("I agree to the terms above"),
            error_messages={"required": _("Please agree to the terms to continue.")},
        ),
        "required",
    )


def copy_field(field: forms.Field, memo: dict[int, Any]) -> forms.Field:
    """`copy.deepcopy(field)` for a field and widget that keep Django's own `__deepcopy__`,
    done as those methods do it (a shallow copy with its own widget, widget attrs, error
    messages and validators) without `copy`'s generic reduce protocol, which was most of a key
    start form's construction. Any other field or widget (choice fields, select widgets, which
    copy their choices too) takes `copy.deepcopy`."""
    widget = field.widget
    if (
        type(field).__deepcopy__ is not forms.Field.__deepcopy__
        or type(widget).__deepcopy__ is not forms.Widget.__deepcopy__
    ):
        return copy.deepcopy(field, memo)
    if id(field) in memo:
        return memo[id(field)]
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    memo[id(field)] = copied
    copied_widget = memo.get(id(widget))
    if copied_widget is None:
        copied_widget = object.__new__(type(widget))
        copied_widget.__dict__.update(widget.__dict__)
        copied_widget.attrs = widget.attrs.copy()
        memo[id(widget)] = copied_widget
    copied.widget = copied_widget
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


class DeclaredFields(dict):
    """A form class's `base_fields`, which every form instance deep-copies: copied field by
    field with `copy_field`."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {name: copy_field(field, memo) for name, field in self.items()}


class PublicFormMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    def __new__(mcs, name, bases, attrs):
        form_class = super().__new__(mcs, name, bases, attrs)
        form_class.base_fields = DeclaredFields(form_class.base_fields)
        return form_class


def is_single_choice(field: forms.Field | None) -> TypeGuard[forms.ChoiceField]:
    return isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField)


class PublicForm(forms.Form, metaclass=PublicFormMetaclass):
    """Fields every public form carries: language, time zone, embedding, the guards."""

    locale = forms.CharField(required=False, widget=forms.HiddenInput)
    tz = forms.CharField(required=False, widget=forms.HiddenInput)
    embedded = forms.CharField(required=False, widget=forms.HiddenInput)
    # The parameters of a signed prefill link, carried to the POST (views.base.signed_prefill).
    signed = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot and the signed timestamp (guards.py) are rendered by _hidden.html and read
    # from request.POST by the guards: the page always carries a fresh timestamp.

    field_order_tail = ["locale", "tz", "embedded", "signed"]

    def lock(self, values: dict[str, str]) -> None:
        """Fields set by a verified signed link: shown read-only, and what the customer sends
        for them is ignored (a disabled field's value is always its initial one).

        A prefilled or signed choice the form does not offer (an issue retired since the link
        was sent, a representative gone offline) selects and locks nothing: locked, it would
        leave a choice with no option, or a hidden one-issue field with a value the form
        refuses, and the customer could not go on (docs/decisions/0023-signed-prefill-links.md).
        A hidden field's prefilled value its field refuses, signed or not, starts empty: the
        customer could neither see nor correct it. Locked values that each pass but, with what
        is carried unseen, are over the vendor's total for custom values lock none of the
        fields that count towards it (`custom_total_fields`): the customer shortens one."""
        for name, value in list(self.initial.items()):
            field = self.fields.get(name)
            if field is None or value in ("", None):
                continue
            if is_single_choice(field):
                if not field.valid_value(str(value)):
                    del self.initial[name]
            elif field.widget.is_hidden and not self.value_check(name)(str(value)):
                # A prefill a hidden field refuses (`?external_key=` over its limit), signed or
                # not: carried unseen, it would fail the start in a way the customer cannot fix.
                del self.initial[name]
        taken: dict[str, str] = {}
        for name, value in values.items():
            field = self.fields.get(name)
            if field is None or (is_single_choice(field) and name not in self.initial):
                continue
            if not is_single_choice(field) and not self.value_check(name)(value):
                # A value the field's own checks refuse (a name over its limit, a key of the
                # wrong shape) locks nothing: locked, the customer could never correct it. It
                # stays prefilled and editable, and the POST checks what they send; a hidden
                # field, which they cannot correct either, starts empty.
                if field.widget.is_hidden:
                    self.initial.pop(name, None)
                continue
            taken[name] = value
        total = self.custom_total_fields()
        fixed = [
            taken[name] if name in taken else str(self.initial.get(name) or "")
            for name in total
            if name in taken or self.fields[name].widget.is_hidden
        ]
        if over_custom_total(fixed):
            # What the customer cannot change (locked, or carried unseen) is over the vendor's
            # total alone: none of the fields that count towards it locks, so they can shorten one.
            taken = {name: value for name, value in taken.items() if name not in total}
        for name, value in taken.items():
            field = self.fields[name]
            field.disabled = True
            field.initial = value
            if not field.widget.is_hidden:
                note = _("Filled in by your help desk.")
                field.help_text = f"{field.help_text} {note}".strip() if field.help_text else note

    def custom_total_fields(self) -> list[str]:
        """The fields whose values count towards the vendor's total for custom values
        (`over_custom_total`); none but the survey's."""
        return []

    def value_check(self, name: str) -> Callable[[str], bool]:
        """Whether the field's own checks take a value, as `lock` asks of a locked one; kept by
        a compiled page's blueprint (views/prefilled.py), so it holds a copy of the field with
        nothing of this form's values, locks or errors."""
        field = copy.copy(self.fields[name])
        field.initial, field.disabled = None, False

        def takes(value: str) -> bool:
            try:
                field.clean(value)
            except ValidationError:
                return False
            return True

        return takes

    def timezone_offset(self) -> int | None:
        """docs/decisions/0008-timezone-offset-from-browser.md: the browser's offset in minutes east
        of UTC, if a sane integer."""
        raw = (self.cleaned_data.get("tz") or "").strip()
        if not re.fullmatch(r"-?\d{1,4}", raw):
            return None
        offset = int(raw)
        return offset if limits.TIMEZONE_OFFSET_MIN <= offset <= limits.TIMEZONE_OFFSET_MAX else None


class SessionKeyForm(PublicForm):
    """The key a technician gave the customer, in the shape the backend's adapter says
    (`VendorAdapter.key_rule`, `normalise_key`: spaces, dashes and full-width digits allowed)."""

    # Every message of the key names it: "session key" or "PIN" (PinForm).
    key = names_itself(
        forms.CharField(
            label=_("Session key"),
            help_text=_("The key your technician gave you, for example 123 4567."),
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "spellcheck": "false",
                    "inputmode": "numeric",
                }
            ),
            error_messages={"required": _("Please enter the session key your technician gave you.")},
        ),
        "required",
        "empty",
        "characters",
        "length",
    )

    # From a prefill link (`?external_key=`), carried along unseen (sent even when the appliance
    # prompts first, docs/decisions/0006-prompt-before-download.md).
    external_key = carried_external_key_field()

    def __init__(self, *args, adapter: VendorAdapter, consent_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.adapter = adapter
        if consent_text:  # a key start is a start: the site's consent is asked here too
            self.fields["consent"] = consent_field()
        rule = adapter.key_rule()
        self.length, self.letters = rule.length, rule.letters
        if self.letters:
            self.fields["key"].widget.attrs["inputmode"] = "text"
        if not rule.external_key:
            del self.fields["external_key"]

    def value_check(self, name: str) -> Callable[[str], bool]:
        """The key's own checks include the vendor's shape (`clean_key`)."""
        takes = super().value_check(name)
        if name != "key":
            return takes
        adapter = self.adapter

        def takes_key(value: str) -> bool:
            if not takes(value):
                return False
            try:
                adapter.normalise_key(value.strip())
            except InvalidKey:
                return False
            return True

        return takes_key

    def clean_key(self) -> str:
        try:
            return self.adapter.normalise_key(self.cleaned_data["key"])
        except InvalidKey as error:
            raise ValidationError(self.key_error(error), code=error.code) from None

    def key_error(self, error: InvalidKey) -> StrOrPromise:
        if error.code == "characters":
            return (
                _("A session key has only letters and digits.")
                if self.letters
                else _("A session key has only digits.")
            )
        return ngettext(
            "A session key has %(length)d characters; you entered %(count)d.",
            "A session key has %(length)d characters; you entered %(count)d.",
            self.length,
        ) % {"length": self.length, "count": error.count}


class PinForm(SessionKeyForm):
    """Take Control's key flow (docs/decisions/0017-takecontrol-pin.md): the 9-digit PIN a
    technician gave the customer."""

    PIN_ERRORS = {
        "empty": _("Please enter the PIN your technician gave you."),
        "characters": _("A PIN has only digits."),
        "length": _("A PIN has 9 digits. Please check the number and try again."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        key = self.fields["key"]
        key.label = _("PIN")
        key.help_text = _("The 9-digit PIN your technician gave you, for example 123 456 789.")
        key.error_messages["required"] = self.PIN_ERRORS["empty"]

    def key_error(self, error: InvalidKey) -> StrOrPromise:
        return self.PIN_ERRORS[error.code]


def key_form(backend: Backend, *args, **kwargs) -> SessionKeyForm:
    """The key flow's form for the backend: a PIN where the vendor calls the key so."""
    adapter = adapter_for(backend)
    form_class = PinForm if adapter.key_rule().pin else SessionKeyForm
    return form_class(*args, adapter=adapter, **kwargs)


class TechnicianForm(PublicForm):
    """The Take Control technician list: one submit button per listed technician.

    The buttons carry our database id; the technician's username (their private Take Control
    login) is looked up server-side and never reaches the page.
    """

    technician = names_itself(
        forms.TypedChoiceField(
            label=_("Technician"),
            coerce=int,
            error_messages={
                "required": _("Please choose a technician from the list."),
                "invalid_choice": _("This technician is not available. Please choose one from the list."),
            },
        ),
        "required",
        "invalid_choice",
    )

    def __init__(self, *args, technicians: list, consent_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.technicians = {technician.pk: technician for technician in technicians}
        cast(forms.ChoiceField, self.fields["technician"]).choices = [
            (t.pk, t.display_name) for t in technicians
        ]
        if consent_text:
            self.fields["consent"] = consent_field()

    def selected_technician(self):
        return self.technicians.get(self.cleaned_data.get("technician"))


REP_NO_LONGER_AVAILABLE = _("This representative is no longer available. Please choose another one.")


class RepForm(PublicForm):
    """The BeyondTrust representative list: one submit button per online rep
    (docs/decisions/0009-rep-list-by-public-name.md).

    A button carries the rep's id only. The public display name the vendor needs comes from
    the cached list on the server, so a forged page cannot send a name of its own, and a rep
    who left the list is refused kindly.
    """

    rep = names_itself(
        forms.TypedChoiceField(
            label=_("Representative"),
            coerce=int,
            error_messages={
                "required": _("Please choose a representative from the list."),
                "invalid_choice": REP_NO_LONGER_AVAILABLE,
            },
        ),
        "required",
        "invalid_choice",
    )
    # From a prefill link (`?external_key=`), carried along unseen.
    external_key = carried_external_key_field()

    def __init__(self, *args, reps, chat_choice: bool = False, consent_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.reps = {rep.id: rep for rep in reps}
        cast(forms.ChoiceField, self.fields["rep"]).choices = [(rep.id, rep.public_name) for rep in reps]
        if chat_choice:
            self.fields["chat"] = forms.BooleanField(
                required=False, label=_("Chat only: I don't want to download the support program")
            )
        if consent_text:
            self.fields["consent"] = consent_field()

    def selected_rep(self):
        return self.reps.get(self.cleaned_data.get("rep"))


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class LabelledSelect(forms.Select):
    """A drop-down whose options say their language when it is not the page's: an issue or a
    choice the admin named but did not translate (languages.InLanguage)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        lang = getattr(label, "lang", "")
        if lang:
            option["attrs"] = {**option["attrs"], "lang": lang}
        return option


def custom_form_field(field: LocalizedCustomField) -> forms.Field:
    """The form field for an admin-defined custom field. Required-ness is checked per issue."""
    common: dict[str, Any] = {"label": field.label, "help_text": field.help_text, "required": False}
    if field.field_type == CustomField.Type.CHOICE:
        return forms.ChoiceField(
            choices=[("", _("Choose…"))]
            + [(v, field.choice_labels.get(v, v)) for v, _l in field.choice_list],
            widget=LabelledSelect,
            error_messages={"invalid_choice": _("Please choose one of the listed options.")},
            **common,
        )
    if field.field_type == CustomField.Type.YES_NO:
        return forms.ChoiceField(
            choices=YES_NO,
            widget=forms.RadioSelect,
            **common,
            error_messages={"invalid_choice": _("Please answer yes or no.")},
        )
    if field.field_type == CustomField.Type.EMAIL:
        # The built-in email's rules (SurveyForm._add_customer_field): a one-line text without
        # control characters, then an address. Django's EmailField alone accepts a quoted local
        # part with control characters ("a\x01b"@example.com), which no vendor console shows.
        # Its message says "an email address" but not whose: the summary leads it with the label
        # (the customer's own address, the survey's built-in field, may be asked too).
        return TextField(
            max_chars=field.max_length,
            widget=forms.EmailInput,
            validators=[customer_email_validator(_("Please enter an email address like name@example.com."))],
            **common,
        )
    if field.field_type == CustomField.Type.NUMBER:
        # ASCII digits only: `\d` would take any script's digits (Arabic-Indic, full-width),
        # which the vendor stores as text no report sorts as a number.
        return forms.RegexField(
            regex=r"^-?[0-9]+([.,][0-9]+)?$",
            **common,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            error_messages={"invalid": _("Please enter a number, like 42 or 3.5.")},
            validators=[lambda v: check_length(v, max_chars=field.max_length)],
        )
    return TextField(
        max_chars=field.max_length, multiline=field.field_type == CustomField.Type.LONG_TEXT, **common
    )


@dataclass(frozen=True)
class RepMenuEntry:
    """An online representative in the survey's issue menu
    (docs/decisions/0010-reps-in-issue-menu.md), named like an issue so the survey needs no second
    code path."""

    rep_id: int
    display_name: str

    @property
    def code_name(self) -> str:
        return f"rep-{self.rep_id}"


class SurveyForm(PublicForm):
    """The issue submission survey (docs/architecture.md#customer-flows), built for one site and
    language.

    `issues` are the site's active issues (or, with `reps_menu`, `RepMenuEntry` items: menu
    entries with a `code_name` and `display_name`); `custom_fields` come from
    `selectors.custom_fields_for_site`.
    Values the customer was not offered (an unknown issue, another issue's field) are ignored
    or refused, never trusted.
    """

    reps_pending = False  # with reps_menu: the rep list is still being fetched (set by the view)
    reps_unavailable = False  # with reps_menu: the appliance could not be asked, nothing cached

    @property
    def nobody_to_choose(self) -> bool:
        """With reps in the menu, nobody is listed (checking, nobody online, or the appliance
        could not be asked) and nothing was sent yet: the page says which, and asks nothing."""
        return self.reps_menu and not self.issues and not self.is_bound

    @property
    def no_topics(self) -> bool:
        """No issue to pick (none active, no representatives in the menu): nothing could start,
        so the page says so and points to a way that can, and asks nothing
        (docs/decisions/0035-no-pointless-choices.md)."""
        return not self.reps_menu and not self.issues

    # Its messages name it, with representatives in the menu too ("Please choose a
    # representative from the list.").
    issue = names_itself(
        forms.ChoiceField(
            label=_("What do you need help with?"),
            widget=LabelledSelect,  # more than six issues; fewer are radios, one is hidden
            error_messages={
                "required": _("Please choose what you need help with."),
                "invalid_choice": _("Please choose one of the listed topics."),
            },
        ),
        "required",
        "invalid_choice",
    )

    def __init__(
        self,
        *args,
        site: Site,
        issues: Sequence[Any],
        custom_fields: Sequence[LocalizedCustomField],
        external_key_label: str = "",
        reps_menu: bool = False,
        prepared_fields: DeclaredFields | None = None,
        **kwargs,
    ):
        if prepared_fields is not None:
            # What an earlier form built from the same arguments (`prepared_fields()`): Django's
            # own copy of `base_fields` in BaseForm.__init__ copies these instead (copied, never
            # shared, so this form may change its own in lock() and errors). One copy per form,
            # not a copy of the declared fields thrown away for a copy of these.
            self.base_fields = prepared_fields  # type: ignore[misc]  # this instance's, for the call
        super().__init__(*args, **kwargs)
        if prepared_fields is not None:
            del self.base_fields  # the class's again
        adapter = adapter_for(site.backend)
        # A customer is never asked for what would not reach the representative.
        if not adapter.carries_custom_fields:
            custom_fields = []
        self.site, self.issues, self.custom_fields = site, issues, custom_fields
        self.issue_by_code = {issue.code_name: issue for issue in issues}
        self.reps_menu = reps_menu
        # Each issue's description, in the page's language, under its name (portal_forms'
        # `choice_hint`); none for reps in the menu, which have none.
        self.choice_hints = {
            "issue": {
                issue.code_name: issue.description for issue in issues if getattr(issue, "description", "")
            }
        }
        if prepared_fields is not None:
            return
        issue_field = cast(forms.ChoiceField, self.fields["issue"])
        choices = [(issue.code_name, issue.display_name) for issue in issues]
        if len(issues) == 1:  # no pointless choice (docs/decisions/0035-no-pointless-choices.md)
            issue_field.widget = forms.HiddenInput()
            issue_field.initial = issues[0].code_name
        elif len(issues) <= 6:
            issue_field.widget = forms.RadioSelect()
        else:
            choices.insert(0, ("", _("Choose…")))
        issue_field.choices = choices
        if reps_menu:  # `issues` are RepMenuEntry items
            issue_field.label = _("Who would you like to talk to?")
            issue_field.error_messages.update(
                {
                    "required": _("Please choose a representative from the list."),
                    "invalid_choice": REP_NO_LONGER_AVAILABLE,
                }
            )

        for spec in adapter.customer_fields:
            label = external_key_label if spec.name == "external_key" and external_key_label else spec.label
            self._add_customer_field(spec, getattr(site, spec.mode_attr), label)
        for field in custom_fields:
            self.fields[f"cf_{field.code_name}"] = custom_form_field(field)
            # Checked per issue in clean(), but shown as required wherever the field is shown.
            # An attribute of our own on a Django field, read by the field template tag.
            self.fields[f"cf_{field.code_name}"].required_when_shown = field.required  # type: ignore[attr-defined]
        if site.chat_mode == Site.ChatMode.CHOICE and adapter.offers_chat_only:
            self.fields["chat"] = forms.BooleanField(
                required=False, label=_("Chat only: I don't want to download the support program")
            )
        if site.consent_text:
            self.fields["consent"] = consent_field()
        if custom_fields:
            # The vendor's byte budget for all custom-field values together: the live
            # counters of these fields share it (portal.js), as _check_custom_total does.
            for name in self.custom_total_fields():
                self.fields[name].widget.attrs["data-shared-bytes"] = limits.CUSTOM_TOTAL_MAX_BYTES
        self.order_fields(
            [name for name in self.fields if name not in self.field_order_tail] + self.field_order_tail
        )

    def prepared_fields(self) -> DeclaredFields:
        """A copy of the fields as `__init__` built them, for `SurveyForm(prepared_fields=...)`:
        the next form of the same site (version), language and issues need not build them
        again. Call it before anything changes this form's fields (lock())."""
        return DeclaredFields(copy.deepcopy(DeclaredFields(self.fields)))

    def _add_customer_field(self, spec: CustomerField, mode: str, label: StrOrPromise):
        if mode == FieldMode.HIDDEN:
            if spec.name == "external_key":  # from a prefill link, carried along unseen
                self.fields[spec.name] = carried_external_key_field()
            return
        extra = {}
        if spec.email:
            extra = {
                "widget": forms.EmailInput,
                "validators": [
                    customer_email_validator(_("Please enter an email address like name@example.com."))
                ],
            }
        field = TextField(
            label=label,
            required=mode == FieldMode.REQUIRED,
            max_chars=spec.max_chars,
            max_bytes=spec.max_bytes,
            multiline=spec.multiline,
            a_name=spec.name in NAME_FIELDS,
            **extra,
            error_messages={"required": _("Please fill in this field.")},
        )
        field.widget.attrs["autocomplete"] = spec.autocomplete
        # Only an address's and a name's own messages say what the field is; "Please fill in
        # this field." and the length and character messages need its label in the summary.
        self.fields[spec.name] = names_itself(field, "invalid" if spec.email else "no_letter_or_digit")

    def body_fields(self):
        """Visible fields between the issue and the consent, with the issues each belongs to."""
        custom = {f"cf_{field.code_name}": field for field in self.custom_fields}
        for bound in self.visible_fields():
            if bound.name in {"issue", "chat", "consent"}:
                continue
            field = custom.get(bound.name)
            codes = field.issue_codes if field is not None and len(self.issues) > 1 else []
            yield {
                "field": bound,
                "issue_codes": codes,
                # In the survey's own order, as the customer reads the issues above.
                "issue_names": [issue.display_name for issue in self.issues if issue.code_name in codes],
            }

    def selected_issue(self):
        return self.issue_by_code.get(self.cleaned_data.get("issue"))

    def custom_fields_for_selected(self) -> list[LocalizedCustomField]:
        code = self.cleaned_data.get("issue")
        return [f for f in self.custom_fields if not f.issue_codes or code in f.issue_codes]

    def custom_values(self) -> list[tuple[str, str]]:
        """(code_name, value) of the selected issue's non-empty fields, in admin order."""
        values = []
        for field in self.custom_fields_for_selected():
            value = self.cleaned_data.get(f"cf_{field.code_name}") or ""
            if value:
                values.append(
                    (field.code_name, value.replace(",", ".") if field.field_type == "number" else value)
                )
        return values

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("issue"):
            return cleaned
        for field in self.custom_fields_for_selected():
            name = f"cf_{field.code_name}"
            if field.required and not cleaned.get(name) and name not in self.errors:
                self.add_error(name, ValidationError(custom_field_required(field), code="required"))
        if not self.errors:
            self._check_custom_total()
        return cleaned

    def custom_total_fields(self) -> list[str]:
        """The form fields whose values go out as the session's custom fields
        (docs/decisions/0005-beyondtrust-limits.md)."""
        names = ["external_key"] + [f"cf_{field.code_name}" for field in self.custom_fields]
        return [name for name in names if name in self.fields]

    def _check_custom_total(self):
        """All custom-field values together, external key included
        (docs/decisions/0005-beyondtrust-limits.md).

        The vendor counts UTF-8 bytes; the customer is told, on the longest answer, how many
        characters to take out of it, as its live counter says.
        """
        values = (
            [("external_key", self.cleaned_data.get("external_key") or "")]
            if "external_key" in self.fields
            else []
        )
        values += [(f"cf_{code}", value) for code, value in self.custom_values()]
        sizes = {name: limits.utf8_len(value) for name, value in values}
        total = sum(sizes.values())
        if total <= limits.CUSTOM_TOTAL_MAX_BYTES:
            return
        # The longest answer the customer can change (not a value a link carried or locked).
        editable = [
            item
            for item in values
            if not (self.fields[item[0]].widget.is_hidden or self.fields[item[0]].disabled)
        ]
        name, value = max(editable or values, key=lambda item: sizes[item[0]])
        room = limits.CUSTOM_TOTAL_MAX_BYTES - (total - sizes[name])
        over = chars_over(value, max_bytes=room)
        message = ngettext(
            "Together with your other answers, this is %(count)d character too long. Please shorten it.",
            "Together with your other answers, this is %(count)d characters too long. Please shorten it.",
            over,
        ) % {"count": over}
        self.add_error(name, ValidationError(message, code="custom_total"))
