"""Form rendering with the accessibility wiring done once (WCAG 2.2: labels, errors, help)."""

import re

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext

from portal import branding
from portal.forms import strip_pattern
from portal.text_rules import numbers_kept_whole, without_soft_hyphens

register = template.Library()


class ReadOnlyBoundField(BoundField):
    """A locked text field (PublicForm.lock) drawn `readonly` instead of `disabled`.

    A disabled input leaves the tab order and many screen readers skip it in forms mode, so a
    keyboard or screen-reader user might never learn what their help desk filled in; a
    readonly one is reached with Tab, read out with its label and help, and can be selected
    and copied. The form still treats the field as disabled: what is posted for it is ignored
    and its locked value used (Django's rule for disabled fields), whatever the page says.
    """

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        attrs.pop("disabled", None)
        attrs["readonly"] = True
        return attrs


def is_locked_text(field) -> bool:
    """Locked, and an input type that readonly applies to (not a choice, box or select)."""
    widget = field.field.widget
    return field.field.disabled and (
        isinstance(widget, forms.Textarea) or getattr(widget, "input_type", "") in {"text", "email"}
    )


def describedby_ids(field) -> list[str]:
    ids = []
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if counted(field):  # see counter()
        ids.append(f"{field.auto_id}_counter")
    return ids


@register.simple_tag
def widget(field):
    """The input with aria-describedby (error, help, counter) and aria-invalid when wrong."""
    attrs = {}
    ids = describedby_ids(field)
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if is_required(field) and not isinstance(field.field.widget, forms.CheckboxInput):
        attrs["aria-required"] = "true"
    if is_locked_text(field):
        field = ReadOnlyBoundField(field.form, field.field, field.name)
    return field.as_widget(attrs=attrs)


@register.filter
def is_required(field) -> bool:
    """Required, or required whenever shown (a custom field checked per issue by the form)."""
    return field.field.required or getattr(field.field, "required_when_shown", False)


@register.filter
def is_choice_group(field) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect)


@register.filter
def choice_hint(field, value) -> str:
    """The line a form gives one of a choice field's options under its label (an issue's
    description), or ""."""
    hints = getattr(field.form, "choice_hints", {}).get(field.name, {})
    return hints.get(str(value), "")


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def error_target(field) -> str:
    """The id the error summary links to: the first radio of a group, else the input."""
    return f"{field.auto_id}_0" if isinstance(field.field.widget, forms.RadioSelect) else field.auto_id


# Marks that end a label as a sentence or question would ("Urgency?", "Quelle est l'urgence ?",
# "ご用件は？"): no colon after them. Not every punctuation mark: "Ticket #" or "Serial *" still
# take one.
LABEL_ENDINGS = frozenset("?？.:：!！…。")
# Full-width marks of Japanese and Chinese: each carries its own space, so none follows it.
FULL_WIDTH_MARKS = frozenset("：？！。、，；）」")


# Full-width opening brackets: each carries its own space too, so none goes before it.
FULL_WIDTH_OPENERS = frozenset("（「『【")


@register.filter
def opens_full_width(text) -> bool:
    """Whether a mark that follows a label ("(optional)") starts with a full-width bracket,
    which sets it off by itself ("会社名（任意）", never "会社名 （任意）")."""
    return str(text)[:1] in FULL_WIDTH_OPENERS


@register.filter(is_safe=True)
def no_soft_hyphens(text) -> str:
    """The text of a window title or an aria-label, without the catalog's soft hyphens."""
    return without_soft_hyphens(str(text))


@register.filter(is_safe=True)
def spaced(label):
    """A label that ends in its own mark ("We open again:", "Only for:"), with the space that
    sets it off from the text after it; none after a full-width mark, which carries its own
    ("再開日時：2026年…", never "再開日時： 2026年…")."""
    return label if str(label)[-1:] in FULL_WIDTH_MARKS else f"{label} "


@register.filter(is_safe=True, needs_autoescape=True)
def listed(items, autoescape=True) -> str:
    """Names in a run, with the language's own separator: ", " in most, "、" in Japanese and
    Chinese ("印刷、VPN", not "印刷, VPN"); a name in another language than the page's keeps
    its own (`in_own_language`)."""
    escape = conditional_escape if autoescape else str
    separator = pgettext("list separator", ", ")
    return mark_safe(escape(separator).join(escape(in_own_language(item)) for item in items))


# A site's own words shown untranslated, in the site's default language on a page in another
# (languages.InLanguage): the element that shows them says so with `lang`, for screen readers
# and hyphenation (docs/decisions/0109-language-of-untranslated-site-texts.md).
@register.filter
def lang_attr(text) -> str:
    """` lang="de"` for the element that holds nothing but `text`, when `text` is in another
    language than the page's; else nothing."""
    lang = getattr(text, "lang", "")
    return format_html(' lang="{}"', lang) if lang else ""


@register.filter
def in_own_language(text):
    """`text` inside a run of the page's language (a label before "(optional)", a name in a
    list): in a `<span lang>` when it is in another language, else as it is."""
    lang = getattr(text, "lang", "")
    return format_html('<span lang="{}">{}</span>', lang, text) if lang else text


@register.filter
def summary_label(label) -> str:
    """A field's label as the error summary leads with it: a colon after it, unless the label
    already ends a sentence or question, where a second mark would read "?:". A label in
    another language than the page's keeps it (`in_own_language`); the mark is the page's."""
    text = str(label).rstrip()
    lead = spaced(text) if text and text[-1] in LABEL_ENDINGS else f"{text}{colon()}"
    lang = getattr(label, "lang", "")
    return format_html('<span lang="{}">{}</span>{}', lang, text, lead[len(text) :]) if lang else lead


@register.filter
def summary_lines(field) -> list[SafeString]:
    """Each error of a field as the error summary lists it (a link to the field): a message
    that names its field alone ("Please enter the session key your technician gave you."), any
    other after the field's label ("Your name: Please fill in this field."), so that a line
    neither repeats the field's name nor leaves it out (`forms.names_itself`,
    docs/decisions/0113-error-summary-lines.md)."""
    naming: frozenset[str] = getattr(field.field, "codes_naming_it", frozenset())
    label = str(field.label).rstrip()
    after_a_colon = not label or label[-1] not in LABEL_ENDINGS or label[-1] in ":："
    lines = []
    for error in field.errors.as_data():
        message = numbers_kept_whole(" ".join(str(text) for text in error))
        if error.code in naming:
            lines.append(format_html("{}", message))
        else:
            lead = after_colon(message) if after_a_colon else message
            lines.append(format_html("{}{}", summary_label(field.label), lead))
    return lines


# The languages that go on in lower case after a colon, even when a whole sentence follows
# ("Ваше имя: пожалуйста, заполните это поле.", "Votre nom : veuillez remplir ce champ.",
# Dutch "Uw naam: vul dit veld in."). German, Turkish, English and the Nordic languages may
# begin that sentence with a capital.
LOWER_CASE_AFTER_COLON = frozenset({"ru", "fr", "es", "it", "pt", "nl"})
FIRST_WORD = re.compile(r"\w+")


def after_colon(message: str) -> str:
    """A message as it reads after a label's colon in the active language: its first word
    lowered where the language writes so, unless that word is an abbreviation ("VPN", "PIN")
    or the message opens with a mark (a quoted name)."""
    language = (get_language() or "").split("-")[0]
    word = FIRST_WORD.match(message)
    if language not in LOWER_CASE_AFTER_COLON or word is None or not word[0][0].isupper():
        return message
    if word[0][1:2].isupper():  # an abbreviation
        return message
    return message[0].lower() + message[1:]


@register.simple_tag
def colon() -> str:
    """The colon after a label, as the active language writes it: Japanese and Chinese use the
    full-width one, which carries its own space ("電話：", "电话："); French sets it off on both
    sides, the space before it one that never breaks ("Téléphone : ", as its catalog writes
    "Fuseau horaire :"); others ": "."""
    language = get_language() or ""
    if language.startswith(("ja", "zh")):
        return "："
    return "\u00a0: " if language.startswith("fr") else ": "


@register.filter(is_safe=True)
def unbroken_numbers(text):
    """Text with the spaces inside a number, and between a number and its counter word, made
    no-break spaces, so that an example the customer types ("123 4567", "123 456 789") or a
    count ("9 桁", "9 位數") never breaks across two lines (text_rules.numbers_kept_whole).
    Spaces and joiners are all that change: the text is escaped as it would have been, or
    stays safe if it was."""
    return numbers_kept_whole(str(text))


# Where a parameter name may break across lines: before a dot or an underscore, as the Chicago
# Manual of Style breaks a URL, so the first mark of the next line says the name goes on.
NAME_BREAKS = re.compile(r"(?=[._])")


@register.filter
def name_break_points(name) -> SafeString:
    """A parameter name ("session.custom.printer_model") escaped, with <wbr> where it may break:
    on a phone the Preview's table broke names anywhere ("session.custo" / "m.printer_model")."""
    parts = NAME_BREAKS.split(str(name))
    return format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts if part))


# Where a parameter value without spaces (an address, a path, a model name) may break: after a
# separator, as browsers already break after a hyphen or a slash, so each line ends on a whole
# part; never inside "//", after a leading sign ("-60"), nor between the digits of a number or
# a date ("3.5", "2026-05-01").
VALUE_BREAKS = re.compile(r"(?:(?<=\w[/.\-_=&?,;@])|(?<=//))(?=[^\s/])(?!(?<=\d[.,\-])\d)")


@register.filter
def value_break_points(value) -> SafeString:
    """A parameter value ("HP-LaserJet_Pro/M404dn") escaped, with <wbr> where it may break: on a
    phone the Preview's table broke values anywhere ("LaserJet_Pro/M4" / "04dn")."""
    parts = VALUE_BREAKS.split(str(value))
    return format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts if part))


@register.filter
def current_first(languages: list[dict]) -> list[dict]:
    """The header menu's language links with the page's own language on top: on a phone the
    menu scrolls (16 languages do not fit), and a current language further down sat below its
    edge, so the open menu did not show which one was chosen. The footer keeps the fixed order."""
    return sorted(languages, key=lambda item: not item["current"])


def counted(field) -> bool:
    """A limited field the customer can type in (locked by a signed link: nothing to count)."""
    attrs = field.field.widget.attrs
    return bool(attrs.get("data-max-chars") or attrs.get("data-max-bytes")) and not field.field.disabled


@register.inclusion_tag("portal/_counter.html")
def counter(field):
    """A live counter, in characters, for limited fields; without JavaScript it states the limit.

    It carries what the server does to the text before counting (portal.forms.clean_text:
    line ends unified, STRIP_CHARS stripped) so portal.js counts exactly what will be checked.
    """
    if not counted(field):
        return {"field": field, "shown": False}
    attrs = field.field.widget.attrs
    return {
        "field": field,
        "shown": True,
        "max_chars": attrs.get("data-max-chars"),
        "max_bytes": attrs.get("data-max-bytes"),
        "strip": strip_pattern(),
    }


@register.filter
def header_logo(site) -> branding.HeaderLogo | None:
    """The header's logo for the site's colour scheme (branding.header_logo). A page drawn with
    no site (the not-set-up page, an error page for a host no site claims) hands the template's
    empty string for the missing variable: the portal's own mark, as for None."""
    return branding.header_logo(site or None)


@register.filter
def logo_shown(file) -> bool:
    """Whether customers are shown this stored logo (branding.logo_shown): the page's icon
    follows the header's logo."""
    return branding.logo_shown(file or None)


@register.filter
def theme_version(site) -> str:
    """The `?v=` of the site's /theme.css link (branding.theme_version)."""
    return branding.theme_version(site)
