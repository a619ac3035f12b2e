"""The issue survey: every value the customer types reaches the vendor exactly, or is refused
with a message next to the field while everything typed is kept (docs/architecture.md#customer-flows
and docs/decisions/0025-limits-in-the-vendors-units.md)."""

import re

import pytest
from django.utils import translation

from portal.caching import memo, site_cache_version
from portal.forms import DeclaredFields, SurveyForm
from portal.models import Backend, CustomField, Site, StartRequest
from portal.templatetags.portal_forms import (
    after_colon,
    name_break_points,
    unbroken_numbers,
    value_break_points,
)
from portal.views.flows import SURVEY_FIELDS_MEMO
from tests.conftest import APPLIANCE, form_data, query_of, start_address
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

VALID = {
    "issue": "printing",
    "name": "Jane Doe",
    "company": "Acme",
    "details": "Printer offline",
    "cf_printer_model": "HP 4000",
    "cf_urgency": "high",
}


def post_survey(client, **fields):
    return client.post("/survey/", form_data(**{**VALID, **fields}))


def errors_of(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        p.attrs["id"].removeprefix("id_").removesuffix("_error"): p.raw_text()
        for p in elements(html, "p", class_="error")
        if p.attrs.get("id", "").endswith("_error")
    }


def test_full_survey_start_url_parameter_by_parameter(client, site, issues, custom_fields):
    site.chat_mode = Site.ChatMode.CHOICE
    site.chat_locale = "en-us"
    site.save()
    response = post_survey(
        client,
        company_code="AC-1",
        external_key="INC0012345",
        cf_asset_tag="LT-4471",
        chat="on",
        locale="de",
        tz="120",
        details="Printer offline\r\nsince 9:00",
    )
    assert response.status_code == 303
    url = response["Location"]
    assert url.startswith(f"{APPLIANCE}/api/start_session?")
    assert query_of(url) == [
        ("issue_menu", "1"),
        ("codeName", "printing"),
        ("c2cjs", "1"),
        ("customer.name", "Jane Doe"),
        ("customer.company", "Acme"),
        ("customer.company_code", "AC-1"),
        ("customer.details", "Printer offline\nsince 9:00"),
        ("locale", "de"),
        ("chat_locale", "en-us"),
        ("session.priority", "1"),
        ("session.skills", "printing,windows"),
        ("timezone_offset", "120"),
        ("session.custom.external_key", "INC0012345"),
        ("session.custom.asset_tag", "LT-4471"),
        ("session.custom.printer_model", "HP 4000"),
        ("session.custom.urgency", "high"),
    ]


def test_issue_with_numeric_id_sends_id_not_codename(client, site, issues, custom_fields):
    response = post_survey(client, issue="vpn")
    query = dict(query_of(response["Location"]))
    assert query["id"] == "42" and "codeName" not in query


def test_an_issue_value_saved_past_the_admins_checks_never_reaches_the_vendor(
    client, site, issues, custom_fields, caplog
):
    """docs/decisions/0025-limits-in-the-vendors-units.md: the URL builder checks again, so a
    priority the vendor does not know (saved without the admin's form) sends nobody to a vendor
    error page, and is no server error either: the customer reads "temporarily unavailable"."""
    type(issues["printing"]).objects.filter(pk=issues["printing"].pk).update(priority=7)
    response = post_survey(client)
    assert response.status_code == 503
    assert element(response.content.decode(), "h1").raw_text() == "Remote support is temporarily unavailable"
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.FAILED
    assert "priority is not 1, 2 or 3" in caplog.text


def test_field_of_another_issue_is_ignored(client, site, issues, custom_fields):
    response = post_survey(client, issue="vpn", cf_printer_model="sneaky")
    assert response.status_code == 303
    assert "session.custom.printer_model" not in dict(query_of(response["Location"]))


def test_required_field_only_for_its_issue(client, site, issues, custom_fields):
    response = post_survey(client, issue="printing", cf_printer_model="")
    assert errors_of(response) == {"cf_printer_model": "Please fill in this field. "}
    assert post_survey(client, issue="vpn", cf_printer_model="").status_code == 303


@pytest.mark.parametrize("issue", ["retired", "nonexistent", "", "printing\r\nX-Evil: 1"])
def test_unknown_or_inactive_issue_is_refused(client, site, issues, custom_fields, issue):
    response = post_survey(client, issue=issue)
    assert response.status_code == 200
    assert "issue" in errors_of(response)


def test_details_limit_is_1024_utf8_bytes(client, site, issues, custom_fields):
    near = "日" * 341  # 1023 bytes
    assert post_survey(client, details=near).status_code == 303
    over = "日" * 342  # 1026 bytes, only 342 characters
    response = post_survey(client, details=over)
    assert errors_of(response)["details"] == "This is 1 character too long. Please shorten it. "
    emoji = "😀" * 256  # exactly 1024 bytes
    assert dict(query_of(post_survey(client, details=emoji)["Location"]))["customer.details"] == emoji
    assert "details" in errors_of(post_survey(client, details=emoji + "a"))


def test_everything_typed_is_kept_after_an_error(client, site, issues, custom_fields):
    response = post_survey(
        client, name="", company="Ünïcode GmbH", details="Mein Drucker 🖨️", cf_asset_tag="A-1"
    )
    html = response.content.decode()
    assert errors_of(response) == {"name": "Please fill in this field. "}
    assert element(html, "input", name="company").attrs["value"] == "Ünïcode GmbH"
    assert element(html, "textarea", name="details").raw_text().strip("\n") == "Mein Drucker 🖨️"
    assert element(html, "input", name="cf_asset_tag").attrs["value"] == "A-1"
    assert [choice.attrs["value"] for choice in elements(html, "input", name="issue", checked=True)] == [
        "printing"
    ]
    assert element(html, "a", href="#id_name").text == "Your name: Please fill in this field."


@pytest.mark.parametrize(
    ("locale", "label", "summary"),
    [
        ("en-us", "How many devices?", "How many devices? Please enter a number, like 42 or 3.5."),
        ("fr", "Combien d’appareils ?", "Combien d’appareils ? Veuillez saisir un nombre"),
        ("ja", "台数は？", "台数は？42"),
    ],
)
def test_the_error_summary_adds_no_colon_after_a_question(
    client, site, issues, custom_fields, locale, label, summary
):
    CustomField.objects.create(
        site=site, code_name="devices", label=label, field_type=CustomField.Type.NUMBER
    )
    response = post_survey(client, cf_devices="many", locale=locale)
    text = element(response.content.decode(), "a", href="#id_cf_devices").text
    assert text.startswith(summary)
    assert "?:" not in text and "？:" not in text


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en-us", "Please choose what you need help with."),
        ("de", "Bitte wählen Sie aus, wobei Sie Hilfe brauchen."),
        ("ja", "お困りの内容を選んでください。"),
    ],
)
def test_a_summary_line_whose_message_names_its_field_says_it_once(
    client, site, issues, custom_fields, locale, line
):
    """A walk-through read "Sitzungsschlüssel: Ein Sitzungsschlüssel hat …": a message that
    names its field is listed alone, still a link to the field."""
    response = post_survey(client, issue="", name="😀", locale=locale)
    html = response.content.decode()
    assert element(html, "a", href="#id_issue_0").text == line
    name = element(html, "a", href="#id_name").text
    assert name == " ".join(errors_of(response)["name"].split())  # the message next to the field


@pytest.mark.parametrize(
    ("locale", "line", "beside_the_field"),
    [
        ("ru", "Ваше имя: пожалуйста, заполните это поле.", "Пожалуйста, заполните это поле."),
        ("es", "Su nombre: complete este campo.", "Complete este campo."),
        ("it", "Il Suo nome: compili questo campo.", "Compili questo campo."),
        ("pt-br", "Seu nome: preencha este campo.", "Preencha este campo."),
        # A Dutch walk-through read "Uw naam: Vul dit veld in."; Dutch goes on in lower case.
        ("nl", "Uw naam: vul dit veld in.", "Vul dit veld in."),
        # French sets its colon off with a space that never breaks from the word before it.
        ("fr", "Votre nom\u00a0: veuillez remplir ce champ.", "Veuillez remplir ce champ."),
        # German and Turkish begin a whole sentence after a colon with a capital letter.
        ("de", "Ihr Name: Bitte füllen Sie dieses Feld aus.", "Bitte füllen Sie dieses Feld aus."),
        ("tr", "Adınız: Lütfen bu alanı doldurun.", "Lütfen bu alanı doldurun."),
    ],
    ids=["ru", "es", "it", "pt-br", "nl", "fr", "de", "tr"],
)
def test_after_the_labels_colon_the_message_is_written_as_the_language_writes_it(
    client, site, issues, custom_fields, locale, line, beside_the_field
):
    """A Russian walk-through read "Ваше имя: Пожалуйста, заполните это поле.": Russian, like
    French, Spanish, Italian and Portuguese, goes on in lower case after a colon. The message
    beside the field stands alone and keeps its capital."""
    site.enabled_languages = ["en-us", locale]
    site.save()
    response = post_survey(client, name="", locale=locale)
    assert element(response.content.decode(), "a", href="#id_name").raw_text() == line
    assert " ".join(errors_of(response)["name"].split()) == beside_the_field


def test_a_message_after_a_colon_keeps_the_capitals_of_an_abbreviation():
    """Only a capital that begins a plain word is lowered: "PIN", "URL" or "VPN" keep theirs."""
    with translation.override("ru"):
        assert after_colon("VPN недоступен.") == "VPN недоступен."
        assert after_colon("Это значение слишком длинное.") == "это значение слишком длинное."
        assert after_colon("«Имя» слишком длинное.") == "«Имя» слишком длинное."
    with translation.override("de"):
        assert after_colon("Das sind 3 Zeichen zu viel.") == "Das sind 3 Zeichen zu viel."


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        # "3 文字長すぎます" read as "3 characters are too long"; the limit is what is exceeded.
        ("ja", "文字数の上限を 3 文字超えています。短くしてください。"),
        ("zh", "比字數上限多出 3 個字元，請縮短內容。"),
        ("zh-hans", "比字数上限多出 3 个字符，请缩短内容。"),
    ],
)
def test_a_too_long_answer_says_by_how_much_it_passes_the_limit_in_the_languages_words(
    client, site, issues, custom_fields, locale, message
):
    site.enabled_languages = []
    site.save()
    response = post_survey(client, cf_asset_tag="x" * 35, locale=locale)
    shown = errors_of(response)["cf_asset_tag"].replace("\u2060", "")  # joiners hold "3 文字" together
    assert " ".join(shown.split()) == message


@pytest.mark.parametrize("locale", ["en-us", "de", "ja", "zh-hans"])
def test_the_issue_question_and_the_details_field_read_as_two_questions(
    client, site, issues, custom_fields, locale
):
    """A walk-through of the Japanese survey: the issue question's message ("お困りの内容を選んで
    ください") and the details field's label ("お困りの内容") named the same thing, so a customer
    could not tell from the error summary which of the two was missing."""
    site.enabled_languages = ["en-us", "de", "ja", "zh-hans"]
    site.save()
    response = post_survey(client, issue="", details="", locale=locale)
    html = response.content.decode()
    details_label = element(html, "label", for_="id_details").text.strip()
    issue_line = element(html, "a", href="#id_issue_0").text
    assert details_label and details_label not in issue_line
    assert element(html, "a", href="#id_details").text.startswith(details_label)


def test_a_summary_line_whose_message_does_not_name_its_field_leads_with_the_label(
    client, site, issues, custom_fields
):
    response = post_survey(client, name="", company="Acme\nCorp", cf_asset_tag="x" * 35, locale="de")
    links = [
        a.text for a in elements(response.content.decode(), "a") if a.attrs.get("href", "").startswith("#id_")
    ]
    assert links == [
        "Ihr Name: Bitte füllen Sie dieses Feld aus.",
        "Firma: Bitte schreiben Sie dies in eine einzige Zeile.",
        "Asset tag: Das sind 3 Zeichen zu viel. Bitte kürzen Sie es.",
    ]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "a" * 101, "This is 1 character too long. Please shorten it."),
        ("company", "Acme\nCorp", "Please keep this on one line."),
        ("company", "Acme\rCorp", "Please keep this on one line."),
        ("name", "Jane\x07Doe", "invisible control characters"),
        ("name", "Jane\u202eeoD", "invisible control characters"),
        ("details", "bad\x1bescape", "invisible control characters"),
        ("cf_asset_tag", "x" * 35, "This is 3 characters too long. Please shorten it."),
        ("cf_urgency", "panic", "Please choose one of the listed options."),
        ("name", "nul\x00byte", "invisible control characters"),
        # A name holds nothing invisible or undefined (text_rules.name_problem, record 0116);
        # a company may (only names are read and told apart).
        ("name", "Jane\u200bDoe", "invisible control characters"),
        ("name", "Jane\u00adDoe", "invisible control characters"),
        ("name", "Jane\ue000", "invisible control characters"),
        ("name", "Jane\ufdd0", "invisible control characters"),
        ("name", "Jane\u200dDoe", "invisible control characters"),
    ],
)
def test_bad_values_get_a_message_next_to_the_field(client, site, issues, custom_fields, field, value, code):
    response = post_survey(client, **{field: value})
    assert response.status_code == 200
    assert code in errors_of(response)[field]


# The Hangul fillers are letters (Lo) that draw nothing: a name of them is blank in the console.
@pytest.mark.parametrize(
    "name", ["😀😀", "!!!", "---", "🙂 . 🙂", "​​", "\u3164", "\u115f\u1160", "\uffa0 \u3164", "\u0301\u200d"]
)
def test_a_name_with_nothing_to_read_is_refused_and_the_rest_kept(client, site, issues, custom_fields, name):
    response = post_survey(client, name=name, company="Ødegård AS", locale="de")
    html = response.content.decode()
    assert response.status_code == 200
    assert errors_of(response) == {
        "name": "Bitte geben Sie einen Namen mit mindestens einem Buchstaben oder einer Ziffer ein. "
    }
    assert element(html, "input", name="name").attrs["value"] == name
    assert element(html, "input", name="company").attrs["value"] == "Ødegård AS"
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID


@pytest.mark.parametrize(
    "name",
    [
        "李",
        "Ødegård",
        "محمد",
        "Анна",
        "R2-D2 🤖",
        "7",
        "अनिल",
        "สมชาย",
        "٣",
        "한\u3164별",
        "Ａｎｎａ",
        "مهدی\u200cزاده",  # the joiners where they do something (record 0116)
        "लक्ष्\u200dमी",
        "Jane \U0001f469\u200d\U0001f4bb",
    ],
)
def test_a_name_in_any_script_or_with_a_digit_reaches_the_vendor(client, site, issues, custom_fields, name):
    assert dict(query_of(post_survey(client, name=name)["Location"]))["customer.name"] == name


def test_name_of_100_multibyte_characters_is_fine(client, site, issues, custom_fields):
    name = "ü" * 100
    assert dict(query_of(post_survey(client, name=name)["Location"]))["customer.name"] == name


def test_custom_values_together_limited_to_10000_bytes(client, site, issues, custom_fields):
    custom_fields["asset_tag"].max_length = 1024
    custom_fields["asset_tag"].save()
    for i in range(8):
        field = site.custom_fields.create(
            code_name=f"extra{i}", label=f"Extra {i}", max_length=1024, order=10 + i
        )
        assert field.pk
    big = {f"cf_extra{i}": "x" * 1024 for i in range(8)}  # 8192 bytes
    # With the printer model (7), the urgency (4) and the external key (900): 897 bytes left.
    ok = post_survey(client, **big, cf_asset_tag="é" * 448, external_key="k" * 900)  # 896 bytes
    assert dict(query_of(start_address(ok)))["session.custom.asset_tag"] == "é" * 448
    response = post_survey(client, **big, cf_asset_tag="é" * 520, external_key="k" * 900)  # 1040 bytes
    assert response.status_code == 200
    html = response.content.decode()
    # On the longest answer, in characters: 448 of its 520 accented letters fit.
    assert errors_of(response) == {
        "cf_asset_tag": (
            "Together with your other answers, this is 72 characters too long. Please shorten it. "
        )
    }
    assert "byte" not in element(html, "html").text.lower()  # what the customer reads


@pytest.mark.parametrize(("per_field", "over"), [(256, 16384), (100, 8000)])
def test_a_start_address_too_long_for_a_header_is_the_almost_there_pages_button(
    client, site, issues, custom_fields, per_field, over
):
    """Emoji within the vendor's limits make an address longer than a Location header should
    carry (Django refused one over 16,384 characters with a 400, the input lost): the
    customer gets the "Almost there" page, whose button goes to exactly the address a 303
    would have named."""
    emoji = "\U0001f600"  # four UTF-8 bytes, twelve characters percent-encoded
    extras = {}
    for i in range(8):
        site.custom_fields.create(code_name=f"extra{i}", label=f"Extra {i}", max_length=1024, order=10 + i)
        extras[f"cf_extra{i}"] = f"{i}" + emoji * per_field  # 8 x (1 + 4 x per_field) bytes: under 10,000
    response = post_survey(client, **extras)
    assert response.status_code == 200 and "Location" not in response
    link = element(response.content.decode(), "a", id="start-link")
    url = link.attrs["href"]
    assert len(url) > over and link.attrs["target"] == "_top"
    assert url.startswith(f"{APPLIANCE}/api/start_session?")
    sent = dict(query_of(url))
    for i in range(8):
        assert sent[f"session.custom.extra{i}"] == extras[f"cf_extra{i}"]
    assert sent["customer.name"] == "Jane Doe" and sent["session.custom.printer_model"] == "HP 4000"
    record = StartRequest.objects.get()
    assert record.outcome == StartRequest.Outcome.STARTED
    short = post_survey(client, cf_extra0="fits in a header")
    assert short.status_code == 303 and len(short["Location"]) <= 8000


def test_repeated_parameters_never_break(client, site, issues, custom_fields):
    data = form_data(**VALID)
    data["issue"] = ["vpn", "printing"]
    data["name"] = ["A", "B"]
    response = client.post("/survey/", data)
    assert response.status_code in (200, 303)
    if response.status_code == 303:
        assert dict(query_of(response["Location"]))["customer.name"] in {"A", "B"}


def test_wrong_types_never_500(client, site, issues, custom_fields):
    response = client.post("/survey/", data=b"\xff\xfe\x00garbage", content_type="application/octet-stream")
    assert response.status_code == 200  # no signed timestamp: nothing starts, the form asks again
    assert "This form could not be verified" in response.content.decode()
    response = client.post("/survey/", form_data(issue=["a"] * 50, tz="9" * 50, locale="xx"))
    assert response.status_code == 200


def test_consent_required_when_site_has_text(client, site, issues, custom_fields):
    site.consent_text = "The technician sees your screen."
    site.save()
    response = post_survey(client)
    assert errors_of(response) == {"consent": "Please agree to the terms to continue. "}
    assert "The technician sees your screen." in response.content.decode()
    assert post_survey(client, consent="on").status_code == 303


def test_chat_modes(client, site, issues, custom_fields):
    assert "c2cjs" not in dict(query_of(post_survey(client, chat="on")["Location"]))  # off: ignored
    site.chat_mode = Site.ChatMode.ALWAYS
    site.save()
    assert dict(query_of(post_survey(client)["Location"]))["c2cjs"] == "1"
    issues["printing"].chat = "off"
    issues["printing"].save()
    assert "c2cjs" not in dict(query_of(post_survey(client)["Location"]))


def test_single_issue_needs_no_picker(client, site, issues, custom_fields):
    issues["vpn"].active = False
    issues["vpn"].save()
    html = client.get("/survey/").content.decode()
    assert 'type="hidden" name="issue" value="printing"' in html
    assert 'type="radio" name="issue"' not in html


def test_prefill_by_query_parameters(client, site, issues, custom_fields):
    html = client.get(
        "/survey/?name=Jane&company=Acme&company_code=AC&details=Hi%20there&issue=vpn"
        "&external_key=INC-9&cf_asset_tag=LT-1&locale=de"
    ).content.decode()
    for snippet in (
        'value="Jane"',
        'value="Acme"',
        'value="AC"',
        ">\nHi there</textarea>",
        'value="INC-9"',
        'value="LT-1"',
        'lang="de"',
    ):
        assert snippet in html
    assert "checked" in element(html, "input", name="issue", value="vpn").attrs


def test_personal_data_kept_only_when_site_says_so(client, site, issues, custom_fields):
    post_survey(client)
    assert StartRequest.objects.get().customer_data is None
    site.keep_personal_data = True
    site.save()
    post_survey(client, external_key="INC-1")
    record = StartRequest.objects.latest("id")
    assert record.customer_data["name"] == "Jane Doe"
    assert record.customer_data["custom"] == {"printer_model": "HP 4000", "urgency": "high"}
    assert record.issue == issues["printing"]


def test_custom_field_labels_and_issue_scope_rendered(client, site, issues, custom_fields):
    html = client.get("/survey/").content.decode()
    assert [field.attrs["data-issues"] for field in elements(html, data_issues=True)] == ["printing"]
    assert "Only for: Printing" in html


def test_numbers_in_help_text_stay_on_one_line_and_the_text_stays_escaped(
    client, site, issues, custom_fields
):
    asset = custom_fields["asset_tag"]
    asset.help_text = "The <b>sticker</b> & serial, e.g. +49 30 1234567 or LT 4471."
    asset.save()
    html = client.get("/survey/").content.decode()
    help_text = element(html, "p", id="id_cf_asset_tag_help")
    assert help_text.raw_text() == "The <b>sticker</b> & serial, e.g. +49\u00a030\u00a01234567 or LT 4471."
    assert elements(help_text, "b") == []


def test_the_preview_lets_a_parameter_name_break_only_before_a_dot_or_underscore(
    client, site, issues, custom_fields
):
    """On a phone the Preview's table broke names anywhere ("session.custo" / "m.printer_model")."""
    site.backend.kind = Backend.Kind.PREVIEW
    site.backend.save()
    html = post_survey(client).content.decode()
    names = {code.text: code for code in elements(element(html, "table", class_="params"), "code")}
    assert "session.custom.printer_model" in names and "customer.company" in names
    for name, code in names.items():
        parts = [part for part in code.parts if isinstance(part, str)]
        assert [part.tag for part in code.parts if not isinstance(part, str)] == ["wbr"] * (len(parts) - 1)
        assert all(part[0] in "._" for part in parts[1:]), name
    assert [part for part in names["session.custom.printer_model"].parts if isinstance(part, str)] == [
        "session",
        ".custom",
        ".printer",
        "_model",
    ]


def test_a_parameter_name_is_escaped_around_its_break_points():
    assert name_break_points("a<b>.c_d&e") == "a&lt;b&gt;<wbr>.c<wbr>_d&amp;e"


def test_a_parameter_value_breaks_after_separators_but_not_inside_a_number():
    assert value_break_points("a<b>/c_d&e") == "a&lt;b&gt;/c_<wbr>d&amp;<wbr>e"
    assert value_break_points("https://x.io/a?b=1") == "https://<wbr>x.<wbr>io/<wbr>a?<wbr>b=<wbr>1"
    assert value_break_points("-60 3.5 2026-05-01") == "-60 3.5 2026-05-01"


def test_a_number_keeps_its_groups_and_its_counter_word_on_one_line():
    """The live counter's template text ("残り __N__ 文字") keeps the space after the number
    portal.js puts in, too; a space before a number may still break."""
    assert (
        unbroken_numbers("技術者から 9 桁の PIN（例：123 456 789）")
        == "技術者から 9\u00a0桁の PIN（例：123\u00a0456\u00a0789）"
    )
    assert unbroken_numbers("残り __N__ 文字") == "残り __N__\u00a0文\u2060字"
    # A counter word of two characters is joined after its first: no line breaks inside it.
    assert unbroken_numbers("提供 9 位數 PIN 碼") == "提供 9\u00a0位\u2060數 PIN 碼"
    assert unbroken_numbers("PIN 碼為 9 位數字。") == "PIN 碼為 9\u00a0位\u2060數字。"
    assert unbroken_numbers("Up to 9 characters") == "Up to 9 characters"


def test_kana_after_a_number_is_glued_only_when_it_is_a_unit():
    """A walk-through: the Japanese number message ("42 や 3.5 のように…") was read as two
    counts, "42\u00a0や" and "3.5\u00a0の\u2060ように", as if a particle were a counter word.
    Hiragana after a number is a particle and may start the next line; a katakana word is a
    unit ("5 バイト", "3 ページ") and stays whole, joined to its number."""
    assert (
        unbroken_numbers("42 や 3.5 のように数値を入力してください。")
        == "42 や 3.5 のように数値を入力してください。"
    )
    assert unbroken_numbers("2 または 3 文字") == "2 または 3\u00a0文\u2060字"
    assert (
        unbroken_numbers("最大 5 バイト、3 ページまで")
        == "最大 5\u00a0バ\u2060イ\u2060ト、3\u00a0ペ\u2060ー\u2060ジまで"
    )
    assert unbroken_numbers("残り __N__ 文字です") == "残り __N__\u00a0文\u2060字です"
    # The kana counters are counters: "1 つ以上", "3 か月".
    assert unbroken_numbers("文字を 1 つ以上、3 か月ごと") == "文字を 1\u00a0つ以上、3\u00a0か\u2060月ごと"


def test_a_word_saying_how_near_a_number_is_stays_with_it():
    """A walk-through: the Take Control queue page's wait ("予想待ち時間：約 3 分") could end a
    line on "約", leaving "about" without its count; Chinese "不到 1 分钟" could end on "不"."""
    assert unbroken_numbers("予想待ち時間：約 3 分") == "予想待ち時間：約\u00a03\u00a0分"
    assert unbroken_numbers("預估等待時間：約 12 小時") == "預估等待時間：約\u00a012\u00a0小\u2060時"
    assert unbroken_numbers("预计等待时间：不到 1 分钟") == "预计等待时间：不\u2060到\u00a01\u00a0分\u2060钟"
    assert unbroken_numbers("大约 5 个") == "大\u2060约\u00a05\u00a0个"
    # Only before a number: "約束 を" and a qualifier before a word are left alone.
    assert unbroken_numbers("約 半分、不到 一半") == "約 半分、不到 一半"


def test_a_full_width_colon_is_followed_by_no_second_space(client, site, issues, custom_fields):
    """A walk-through: "仅适用于： Printing" had two gaps, the colon's own and a space."""
    site.enabled_languages = ["en-us", "zh-hans"]
    site.save()
    html = client.get("/survey/?locale=zh-hans").content.decode()
    assert element(html, "p", class_="for-issues").raw_text() == "仅适用于：Printing"
    html = client.get("/survey/?locale=en-us").content.decode()
    assert element(html, "p", class_="for-issues").raw_text() == "Only for: Printing"


def test_optional_takes_no_space_before_a_full_width_bracket(client, site, issues, custom_fields):
    """A walk-through: "会社名 （任意）" had two gaps, the space and the bracket's own."""
    site.enabled_languages = ["en-us", "ja", "zh-hans"]
    site.save()
    for locale, optional in (("ja", "（任意）"), ("zh-hans", "（选填）"), ("en-us", " (optional)")):
        html = client.get(f"/survey/?locale={locale}").content.decode()
        labels = [label for label in elements(html, "label") if elements(label, "span", class_="optional")]
        assert labels, locale
        for label in labels:
            text = label.raw_text()
            assert text.endswith(optional) and not text.endswith(" " + optional), (locale, text)


def test_the_issues_a_field_is_for_are_named_in_the_surveys_order(client, site, issues, custom_fields):
    """A walk-through: they were in code-name order ("Email, Printing"), not the survey's."""
    field = custom_fields["printer_model"]
    field.issues.add(issues["vpn"])
    issues["vpn"].order = 0  # VPN first in the survey now, though its code name sorts last
    issues["vpn"].save()
    html = client.get("/survey/").content.decode()
    offered = [radio.attrs["value"] for radio in elements(html, "input", name="issue")]
    assert offered[:2] == ["vpn", "printing"]
    (scope,) = elements(html, "p", class_="for-issues")
    assert scope.raw_text() == "Only for: VPN, Printing"


def test_the_issues_a_field_is_for_are_listed_as_the_language_lists(client, site, issues, custom_fields):
    """Japanese and Chinese separate names with 、 and no space; others with a comma; each
    name escaped."""
    issues["vpn"].display_name = "VPN <b>&</b> Wi-Fi"
    issues["vpn"].save()
    field = custom_fields["printer_model"]
    field.issues.add(issues["vpn"])
    site.enabled_languages = ["en-us", "ja", "de"]
    site.save()
    for locale, expected in (
        ("ja", "対象：Printing、VPN <b>&</b> Wi-Fi"),
        ("de", "Nur für: Printing, VPN <b>&</b> Wi-Fi"),
        ("en-us", "Only for: Printing, VPN <b>&</b> Wi-Fi"),
    ):
        html = client.get(f"/survey/?locale={locale}").content.decode()
        (scope,) = elements(html, "p", class_="for-issues")
        assert scope.raw_text() == expected, locale
        assert elements(scope, "b") == []  # the name's markup is text


def test_a_legacy_backend_offers_only_issues_it_can_start(client, site, issues, custom_fields, caplog):
    # The legacy .ns URL knows an issue only by its numeric ID
    # (docs/decisions/0001-beyondtrust-start-url-styles.md): an issue with a code name alone cannot
    # start there, so it is not offered, never a 500.
    site.backend.kind = Backend.Kind.LEGACY
    site.backend.save()
    page = client.get("/survey/").content.decode()
    assert [choice.attrs["value"] for choice in elements(page, "input", name="issue")] == ["vpn"]
    response = post_survey(client, issue="printing")
    assert response.status_code == 200
    assert StartRequest.objects.get().error_fields == "issue"
    response = post_survey(client, issue="vpn", cf_printer_model="")
    assert response.status_code == 303
    assert response["Location"].startswith(f"{APPLIANCE}/download_customer_connector.ns?issue_menu=1&id=42&")
    assert "printing" in caplog.text  # the admin learns why the issue is missing


def test_admin_cannot_save_an_issue_without_numeric_id_on_a_legacy_backend(site):
    from django.core.exceptions import ValidationError

    from portal.models import Backend, Issue

    site.backend.kind = Backend.Kind.LEGACY
    site.backend.save()
    issue = Issue(site=site, code_name="printing", display_name="Printing")
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "vendor_id" in error.value.message_dict
    issue.vendor_id = 7
    issue.full_clean()


@pytest.fixture
def typed_fields(site, custom_fields):
    from portal.models import CustomField

    CustomField.objects.create(
        site=site, code_name="contact_mail", label="Contact", field_type=CustomField.Type.EMAIL, max_length=40
    )
    CustomField.objects.create(
        site=site, code_name="count", label="Count", field_type=CustomField.Type.NUMBER, max_length=10
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # Django's own EmailField takes a quoted local part with control characters.
        ("cf_contact_mail", '"a\x01\x1b[31mb"@example.com', "invisible control characters"),
        ("cf_contact_mail", '"a\x7fb"@example.com', "invisible control characters"),
        ("cf_contact_mail", "jane@example.com\nx", "Please keep this on one line."),
        ("cf_contact_mail", "not-an-address", "Please enter an email address like name@example.com."),
        ("cf_contact_mail", "j" * 29 + "@example.com", "This is 1 character too long. Please shorten it."),
        # Digits of other scripts: `\d` would take them.
        ("cf_count", "\u0661\u0662\u0663", "Please enter a number, like 42 or 3.5."),
        ("cf_count", "\uff14\uff12", "Please enter a number, like 42 or 3.5."),
    ],
)
def test_typed_custom_fields_refuse_what_the_vendor_would_not_show(
    client, site, issues, typed_fields, field, value, message
):
    response = post_survey(client, **{field: value})
    assert response.status_code == 200
    assert message in errors_of(response)[field]
    assert not StartRequest.objects.filter(outcome=StartRequest.Outcome.STARTED).exists()


def test_typed_custom_fields_reach_the_vendor_as_typed(client, site, issues, typed_fields):
    response = post_survey(client, cf_contact_mail="  jane@example.com ", cf_count="3,5")
    assert response.status_code == 303
    sent = query_of(response["Location"])
    assert ("session.custom.contact_mail", "jane@example.com") in sent
    assert ("session.custom.count", "3.5") in sent
    html = client.get("/survey/").content.decode()
    assert element(html, "input", name="cf_contact_mail").attrs["type"] == "email"


def test_a_refused_attempt_keeps_the_issue_it_had_chosen(client, site, issues, custom_fields):
    """The statistics split refused attempts by issue: which topic customers fail on."""
    post_survey(client, name="")  # the issue (printing) was fine, the name was not
    record = StartRequest.objects.get()
    assert (record.outcome, record.issue, record.error_fields) == (
        StartRequest.Outcome.INVALID,
        issues["printing"],
        "name",
    )
    post_survey(client, issue="retired", name="")  # the issue itself was refused: none to keep
    record = StartRequest.objects.latest("id")
    assert (record.issue, record.error_fields) == (None, "issue,name")


def test_a_required_choice_group_says_so_to_assistive_technology(client, site, issues, custom_fields):
    """Radios take no aria-required; their group does (role radiogroup). A required yes/no
    field was marked only by the missing "(optional)"."""
    from portal.models import CustomField

    CustomField.objects.create(
        site=site, code_name="onsite", label="On site?", field_type=CustomField.Type.YES_NO, required=True
    )
    CustomField.objects.create(
        site=site, code_name="remote", label="Remote?", field_type=CustomField.Type.YES_NO
    )
    html = client.get("/survey/").content.decode()
    groups = {
        legends[0].text.split(" (")[0]: fieldset.attrs
        for fieldset in elements(html, "fieldset")
        if (legends := elements(fieldset, "legend"))
    }
    assert (
        groups["On site?"].get("role") == "radiogroup" and groups["On site?"].get("aria-required") == "true"
    )
    assert "aria-required" not in groups["Remote?"]
    assert groups["What do you need help with?"].get("aria-required") == "true"


def test_a_flow_the_site_does_not_offer_is_no_page_not_a_closed_desk(client, site, issues):
    site.show_survey = False
    site.save()
    response = client.get("/survey/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "closed" not in html.lower()
    assert client.get("/key/").status_code == 200  # the desk is open


@pytest.mark.parametrize(
    ("label", "summary"), [("Ticket #", "Ticket #: "), ("Serial *", "Serial *: "), ("Urgent?", "Urgent? ")]
)
def test_other_marks_at_a_labels_end_still_take_the_colon(client, site, issues, label, summary):
    from portal.models import CustomField

    CustomField.objects.create(site=site, code_name="ref", label=label, field_type=CustomField.Type.NUMBER)
    response = post_survey(client, cf_ref="x")
    text = element(response.content.decode(), "a", href="#id_cf_ref").text
    assert text == f"{summary}Please enter a number, like 42 or 3.5."


def test_a_required_list_or_yes_no_left_blank_asks_to_choose_not_to_fill_in(
    client, site, issues, custom_fields
):
    """A walk-through: a required drop-down said "Please fill in this field." in every language."""
    CustomField.objects.filter(code_name="urgency").update(required=True)
    CustomField.objects.create(
        site=site, code_name="on_site", label="On site?", field_type="yes_no", required=True
    )
    response = post_survey(client, cf_urgency="")
    assert errors_of(response) == {
        "cf_urgency": "Please choose an answer. ",
        "cf_on_site": "Please choose an answer. ",
    }
    de = post_survey(client, cf_urgency="", locale="de")
    assert errors_of(de)["cf_urgency"] == "Bitte wählen Sie eine Antwort. "


def test_the_optional_mark_is_written_as_each_language_writes_it(client, site, issues, custom_fields):
    """A walk-through: the Japanese and Chinese pages showed "会社名 (任意)", with ASCII
    parentheses the template put around the word; those languages write full-width ones."""
    assert "（任意）" in client.get("/survey/?locale=ja").content.decode()
    assert "（選填）" in client.get("/survey/?locale=zh").content.decode()
    assert "(optional)" in client.get("/survey/?locale=en-us").content.decode()
    assert "(facultatif)" in client.get("/survey/?locale=fr").content.decode()


def form_html(response) -> str:
    html = response.content.decode()
    form = html[html.index("<form") : html.index("</form>")]
    return re.sub(r'name="ts" value="[^"]*"', "", form)  # the signed timestamp differs each time


def test_the_survey_fields_are_built_once_per_site_version_and_language(client, site, issues, custom_fields):
    """docs/decisions/0093-prepared-survey-fields.md: the second form of a site version and
    language is a copy of the first's fields, the same page; an admin change or another
    language builds them again."""
    declared = list(SurveyForm.base_fields)
    first = post_survey(client, name="")
    key = (SURVEY_FIELDS_MEMO, site_cache_version(), site.pk, "en-us")
    assert isinstance(memo.get(key), DeclaredFields)
    second = post_survey(client, name="")
    # The second form's copy came from the memo; the class's own fields are untouched by it.
    assert list(SurveyForm.base_fields) == declared and "name" in memo.get(key)
    assert "name" not in declared
    assert errors_of(second) == errors_of(first)
    assert errors_of(first)["name"].strip() == "Please fill in this field."
    assert form_html(second) == form_html(first)

    german = post_survey(client, name="", locale="de")
    assert 'lang="de"' in german.content.decode() and form_html(german) != form_html(first)
    assert form_html(post_survey(client, name="")) == form_html(first)

    CustomField.objects.create(site=site, code_name="room", label="Room number", field_type="text")
    html = post_survey(client, name="").content.decode()
    assert element(html, "input", name="cf_room") is not None
    response = post_survey(client, cf_room="B 12")
    assert dict(query_of(response["Location"]))["session.custom.room"] == "B 12"


def test_each_issue_shows_its_description_in_the_pages_language(client, site, issues, custom_fields):
    """An issue's description (and its translation) was computed for every page and shown on
    none: the customer sees it under the issue's name, escaped as any admin text."""
    from portal.models import IssueTranslation

    site.enabled_languages = ["en-us", "de"]
    site.save()
    issues["printing"].description = "Printer offline, stuck jobs <b>or</b> scanning."
    issues["printing"].save()
    IssueTranslation.objects.create(
        issue=issues["printing"], language="de", display_name="Drucken", description="Drucker offline."
    )
    for locale, name, hint in (
        ("en-us", "Printing", "Printer offline, stuck jobs <b>or</b> scanning."),
        ("de", "Drucken", "Drucker offline."),
    ):
        page = client.get(f"/survey/?locale={locale}").content.decode()
        [choice] = [
            label
            for label in elements(page, "label", class_="choice")
            if elements(label, "input", value="printing")
        ]
        assert choice.text == f"{name} {hint}"
        assert element(choice, "span", class_="hint").text == hint
        assert "<b>or</b>" not in page  # escaped
        [vpn] = [
            label
            for label in elements(page, "label", class_="choice")
            if elements(label, "input", value="vpn")
        ]
        assert elements(vpn, "span", class_="hint") == []  # no description, no empty line


def survey_links(html: str) -> list[str]:
    return [a.attrs["href"] for a in elements(html, "a") if a.attrs.get("href", "").startswith("/survey/")]


def test_a_survey_with_no_issue_to_pick_is_not_offered(client, site):
    """A walk-through: a new site without issues showed "Describe your problem" on its home
    page, and the survey behind it could never start (an empty question, then "choose one").
    Until an issue is added the customer is offered only the ways that can start."""
    Issue = site.issues.model
    Issue.objects.create(site=site, code_name="retired", display_name="Old", active=False)
    home = client.get("/").content.decode()
    assert elements(home, "h2", id="key-title") and not elements(home, "h2", id="survey-title")
    assert survey_links(home) == []

    Issue.objects.create(site=site, code_name="printing", display_name="Printing")
    home = client.get("/").content.decode()
    assert element(home, "h2", id="survey-title").text == "Describe your problem"
    assert survey_links(home) == ["/survey/?locale=en-us"]


def test_a_site_left_with_one_startable_flow_shows_it_as_its_home_page(client, site):
    """No issues and no representative list: the session key is the one way in, so the home
    page is the key form itself, with no way back to a choice of one."""
    site.show_rep_list = False
    site.save()
    home = client.get("/").content.decode()
    assert elements(home, "input", name="key")
    assert not elements(home, "div", class_="flows") and survey_links(home) == []


def no_topics_notice(html: str):
    [notice] = [p for p in elements(html, "p") if p.attrs.get("role") == "status"]
    return notice


def test_a_survey_link_with_no_issue_to_pick_says_so_and_points_to_a_way_that_can_start(client, site):
    """A help desk's /survey/ link still reaches a site whose issues are all off (a walk-through:
    it showed an empty question and refused every send). The page says there is nothing to
    pick, asks nothing, and links the session key form; a send's answer says the same, once."""
    html = client.get("/survey/?locale=de").content.decode()
    notice = no_topics_notice(html)
    assert notice.text == "Derzeit steht kein Anliegen zur Auswahl. Ich habe einen Sitzungsschlüssel"
    assert element(notice, "a").attrs["href"] == "/key/?locale=de"
    assert elements(html, "input", name="issue") == [] and elements(html, "button", type="submit") == []

    response = client.post("/survey/", form_data(issue="printing", name="Jane", details="Offline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("No topics are available right now.") == 1
    notice = no_topics_notice(html)
    assert notice.text == "No topics are available right now. I have a session key"
    assert element(notice, "a").attrs["href"] == "/key/?locale=en-us"
    assert not StartRequest.objects.filter(outcome=StartRequest.Outcome.STARTED).exists()


def test_a_take_control_survey_with_no_issue_to_pick_points_to_the_pin(client, site):
    site.backend.kind = Backend.Kind.TAKECONTROL
    site.backend.save()
    notice = no_topics_notice(client.get("/survey/").content.decode())
    assert (notice.text, element(notice, "a").attrs["href"]) == (
        "No topics are available right now. I have a PIN",
        "/key/?locale=en-us",
    )


def test_with_no_session_key_form_the_survey_with_no_issue_points_to_the_other_ways(client, site):
    site.show_session_key = False
    site.save()
    notice = no_topics_notice(client.get("/survey/").content.decode())
    assert (notice.text, element(notice, "a").attrs["href"]) == (
        "No topics are available right now. Other ways to get help",
        "/?locale=en-us",
    )


def test_a_hyphen_before_a_number_holds_the_number_a_leading_minus_does_not_change():
    assert unbroken_numbers("e.g. LT-4471, 9-17, -60, Wi-Fi") == "e.g. LT-\u20604471, 9-\u206017, -60, Wi-Fi"


def test_a_number_joined_by_a_hyphen_to_its_word_keeps_it_hyphens_between_words_do_not_change():
    assert unbroken_numbers("вам 9-значный PIN-код, eine 9-stellige PIN, 9-numeroisen PIN-koodin") == (
        "вам 9-\u2060значный PIN-код, eine 9-\u2060stellige PIN, 9-\u2060numeroisen PIN-koodin"
    )
