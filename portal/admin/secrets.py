"""Write-only secret fields for admin forms (docs/decisions/0022-write-only-secrets.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django import forms
from django.db.models.constants import LOOKUP_SEP
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WriteOnlySecretWidget(forms.PasswordInput):
    """Never renders the stored value; the placeholder says whether one is set, in a word or
    two that fit the box in every language at 360 px too (what to do is the help text's,
    `KEEP_STORED_SECRET`). As wide as a text input: Django's password box cut them off."""

    def __init__(self, *, is_set: bool = False, unset_placeholder: StrOrPromise | None = None):
        placeholder = capfirst(_("stored")) if is_set else unset_placeholder or _("Not set")
        super().__init__(
            render_value=False,
            attrs={"placeholder": placeholder, "autocomplete": "new-password", "class": "vTextField"},
        )


KEEP_STORED_SECRET = _("Leave it empty to keep the stored value.")


def with_keep_advice(help_text: StrOrPromise) -> StrOrPromise:
    """A stored secret's help text, with what an empty box does."""
    return format_lazy("{} {}", help_text, KEEP_STORED_SECRET) if help_text else KEEP_STORED_SECRET


def clear_secret_field() -> forms.BooleanField:
    return forms.BooleanField(required=False, label=_("Remove the stored value"))


# The shortest secret an admin may type for one the portal shares with a help desk (a site's
# prefill link secret, a webhook endpoint's signing secret); a generated one is 256 bits.
SHARED_SECRET_MIN_CHARS = 16


def typed_shared_secret(value: str, too_short: StrOrPromise) -> str:
    """A shared secret as the admin typed it, refused with `too_short` (which names the
    minimum as %(count)d and says how to get a generated one) when it is shorter than
    SHARED_SECRET_MIN_CHARS; empty passes (kept or generated)."""
    if value and len(value) < SHARED_SECRET_MIN_CHARS:
        raise forms.ValidationError(too_short % {"count": SHARED_SECRET_MIN_CHARS})
    return value


def generate_secret_field() -> forms.BooleanField:
    return forms.BooleanField(required=False, label=_("Generate a new secret"))


class WriteOnlySecretsForm(forms.ModelForm):
    """Secrets are write-only: empty keeps the stored value; `clear_<name>` removes it;
    `generate_<name>` stores a new one from `secret_generators[name]`, which the admin shows
    once after saving (`generated_secrets`) and never again.

    Subclasses declare a `clear_<name>` checkbox for every name in `secret_fields`, and a
    `generate_<name>` checkbox for every secret the portal can make itself (one the portal
    shares with a help desk, not one a vendor issues).
    """

    secret_fields: tuple[str, ...] = ()
    secret_generators: dict[str, Callable[[], str]] = {}
    # The address field the secrets are sent to, if any: when its host moves, an empty box no
    # longer keeps a stored secret (`_address_moved`).
    secrets_sent_to: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.generated_secrets: dict[str, str] = {}
        for name in self.secret_fields:
            if name in self.fields:
                is_set = bool(getattr(self.instance, name, ""))
                self.fields[name].widget = WriteOnlySecretWidget(is_set=is_set)
                self.fields[name].required = False
                if is_set:
                    self.fields[name].help_text = with_keep_advice(self.fields[name].help_text)
                clear = self.fields.get(f"clear_{name}")
                if clear is not None and not is_set:  # nothing stored, nothing to remove
                    clear.widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            if cleaned.get(f"generate_{name}"):
                if cleaned.get(f"clear_{name}") or cleaned.get(name):
                    self.add_error(
                        f"generate_{name}",
                        _("Type a new secret, generate one or remove it: only one of these."),
                    )
                else:
                    cleaned[name] = self.generated_secrets[name] = self.secret_generators[name]()
            elif cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name, "") if self.instance.pk else ""
                if cleaned[name] and self._address_moved(cleaned):
                    self.add_error(name, ADDRESS_MOVED)
        if self.instance.pk and self._address_moved(cleaned):
            # A secret of another kind, kept but no input here (docs/decisions/0103): nobody
            # can type it again, and it must not wait at the new address for a change of kind.
            for name in self.secret_fields:
                if name not in self.fields:
                    setattr(self.instance, name, "")
        return cleaned

    def _address_moved(self, cleaned) -> bool:
        """True when `secrets_sent_to` now names another receiver (scheme, host or port) than
        the stored one: whoever may change the address but not read the secret would otherwise
        read it from the first request the portal sends there."""
        if not self.secrets_sent_to or self.secrets_sent_to not in cleaned:
            return False
        return origin(cleaned[self.secrets_sent_to]) != origin(getattr(self.instance, self.secrets_sent_to))


ADDRESS_MOVED = _(
    "The address changed: type this secret again or remove it. "
    "A stored secret is never sent to a new address."
)


def origin(url: str) -> tuple[str, str, int | None]:
    """Where a request to `url` goes: scheme, host and port, as the client connects to them."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:  # a bracketed host that is no IP address, a port out of range: no
        # receiver at all, which the address's own validation refuses; unlike any stored one
        return "", "", None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").rstrip("."), port or {"https": 443, "http": 80}.get(scheme)


def secret_state(model, name: str) -> Callable[[object], str]:
    """A read-only display of the secret `name`: whether it is set, labelled as the field is."""

    def state(obj) -> str:
        return str(_("Set, never shown") if getattr(obj, name, "") else _("Not set"))

    state.__name__ = name  # the row's CSS class, field-<name>, as the field's own
    state.short_description = model._meta.get_field(name).verbose_name  # type: ignore[attr-defined]
    return state


class SecretLookupsRefusedAdmin:
    """A ModelAdmin mixin that refuses every list filter on a field in `secret_fields`."""

    secret_fields: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        """Never a filter on a secret: Django lets the list filter by any of the model's own
        fields (`?client_secret__startswith=a`), and the rows a guess leaves would spell the
        secret out a character at a time, for a viewer as for a superuser. Refused, the list
        answers 400, whatever the guess."""
        if lookup.split(LOOKUP_SEP, 1)[0] in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


class WriteOnlySecretsAdmin(SecretLookupsRefusedAdmin):
    """A ModelAdmin mixin for a model with secrets: staff who may view the object but not change
    it see whether each secret in `secret_fields` is set, never its value.

    Django's read-only change page shows every model field's stored value as it is: the
    write-only widget above is built only for those who may change the object. Here each secret
    is replaced, on that page alone, by its state, and the form's clear and generate boxes,
    which a viewer cannot use, are left out.
    """

    secret_fields: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        """For a viewer, the form without the secrets' help texts: they tell how to set or
        generate a secret, which a viewer cannot do, and Django shows them under the state."""
        form = super().get_form(request, obj, change=change, **kwargs)
        help_texts = form._meta.help_texts or {}
        if self.has_change_permission(request, obj) or not set(help_texts) & set(self.secret_fields):
            return form
        viewer_form = type(form.__name__, (form,), {})
        viewer_form._meta = copy.copy(form._meta)
        viewer_form._meta.help_texts = {
            name: text for name, text in help_texts.items() if name not in self.secret_fields
        }
        return viewer_form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        model = self.model
        secrets = set(self.secret_fields)
        form_only = {f"{prefix}_{name}" for name in secrets for prefix in ("clear", "generate")}

        def shown(entry):
            if isinstance(entry, (list, tuple)):
                return tuple(shown(name) for name in entry if name not in form_only)
            return secret_state(model, entry) if entry in secrets else entry

        return [
            (
                title,
                {
                    **options,
                    "fields": [shown(entry) for entry in options["fields"] if entry not in form_only],
                },
            )
            for title, options in fieldsets
        ]
