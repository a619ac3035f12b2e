"""Admin change forms as a person sees them, in English, German, Japanese and Russian (the
longest catalog), on a 1280 px window and a 360 px phone."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from portal.models import Backend, Site
from portal.webhooks.models import Endpoint
from tests.browser.test_admin_lists import log_in

pytestmark = pytest.mark.browser

# The placeholder's width in the input's own font, and the room the input has for it.
PLACEHOLDER_AND_ROOM = """input => {
    const style = getComputedStyle(input);
    const canvas = document.createElement("canvas").getContext("2d");
    canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [canvas.measureText(input.placeholder).width, room];
}"""


@pytest.fixture
def secrets_set(portal_url, django_user_model):
    backend = Backend.objects.create(
        name="Appliance",
        kind=Backend.Kind.MODERN,
        base_url="https://support.example.com",
        client_id="portal",
        client_secret="s" * 32,
    )
    site = Site.objects.create(name="Acme Support", is_default=True, backend=backend, prefill_secret="p" * 32)
    endpoint = Endpoint.objects.create(site=site, url="https://help.example.com/hooks", secret="w" * 32)
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    return site, endpoint


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en-US", "de", "ja", "ru"])
def test_every_secret_box_shows_its_whole_placeholder(browser, portal_url, secrets_set, language, width):
    """The walk-through found "Gesetzt – leer lassen, um den Wert zu behalten" cut off in the
    prefill secret's box, the backend's secrets and the webhook's (set or not)."""
    site, endpoint = secrets_set
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    pages = {
        reverse("admin:portal_site_change", args=[site.pk]): ["#id_prefill_secret"],
        reverse("admin:portal_backend_change", args=[site.backend_id]): ["#id_client_secret"],
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]): ["#id_secret"],
        reverse("admin:webhooks_endpoint_add"): ["#id_secret"],
    }
    for url, boxes in pages.items():
        page.goto(portal_url + url)
        for selector in boxes:
            box = page.locator(selector)
            if not box.is_visible():  # in a collapsed "Advanced" group: open it as a person would
                page.locator(f"details:has({selector}) > summary").click()
            assert box.is_visible()
            placeholder = box.get_attribute("placeholder")
            text, room = box.evaluate(PLACEHOLDER_AND_ROOM)
            assert text <= room, f"{url} {selector}: {placeholder!r} needs {text:.0f} px, has {room:.0f}"
            edge = box.bounding_box()
            assert edge["x"] + edge["width"] <= width
    context.close()


@pytest.mark.parametrize(
    ("language", "above", "on_chat", "box"),
    [
        (
            "en-US",
            "N-able Take Control cannot keep the value of Chat: change it by hand, or tick “Clear these "
            "values” to reset it to its default, then save again.",
            [
                "A Take Control start cannot be chat only: choose full client only.",
                "Or tick “Clear these values” to reset it to its default, then save again.",
            ],
            "Clear these values",
        ),
        (
            "ja",
            "N-able Take Control では チャット の値を保持できません：手動で変更するか、「これらの値を消去」を"
            "オンにして既定値に戻してから、もう一度保存してください。",
            [
                "Take Control の開始はチャットのみにできません。フルクライアントのみを選んでください。",
                "または、「これらの値を消去」をオンにして既定値に戻してから、もう一度保存してください。",
            ],
            "これらの値を消去",
        ),
    ],
)
def test_a_refused_move_names_the_same_two_ways_above_and_on_the_setting(
    browser, portal_url, django_user_model, language, above, on_chat, box
):
    """Reviewers: moving a chat-only site to Take Control, the line above the form said "tick
    Clear these values" and the setting "choose full client only". Both places now offer both
    ways in the same words, and the box they name is on the page under that name."""
    backend = Backend.objects.create(name="Appliance", base_url="https://support.example.com")
    takecontrol = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest", tc_uid="u|1"
    )
    site = Site.objects.create(name="Acme Support", backend=backend, chat_mode=Site.ChatMode.ALWAYS)
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_site_change", args=[site.pk]))
    page.select_option("#id_backend", str(takecontrol.pk))
    page.click("input[name=_save]")
    page.locator(".errornote").wait_for()
    assert page.locator("ul.errorlist.nonfield li").all_inner_texts() == [above]
    assert page.locator(".field-chat_mode ul.errorlist li").all_inner_texts() == on_chat

    page.get_by_label(box, exact=True).check()
    page.click("input[name=_save]")
    page.wait_for_url(portal_url + reverse("admin:portal_site_changelist"))
    site.refresh_from_db()
    assert (site.backend, site.chat_mode) == (takecontrol, Site.ChatMode.OFF)
    context.close()


def test_a_take_control_api_domain_that_is_no_address_gets_one_message(
    browser, portal_url, django_user_model
):
    """The field's own "Enter a full URL …" once, not with the connection check's "The API
    domain must be an address like …" under it (docs/decisions/0112-takecontrol-connection-test.md)."""
    backend = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest", tc_uid="u|1"
    )
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_change", args=[backend.pk]))
    page.fill("#id_base_url", "api.us0.swi-rc.com/rest")
    page.click("input[name=_save]")
    page.locator(".errornote").wait_for()
    assert page.locator(".field-base_url ul.errorlist li").all_inner_texts() == [
        "Enter a full URL such as https://api.us0.swi-rc.com/rest."
    ]
    assert page.locator(".field-base_url").get_by_text("Profile > APIs", exact=False).count() == 1  # the help
    backend.refresh_from_db()
    assert backend.base_url == "https://api.us0.swi-rc.com/rest"
    context.close()


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en-US", "ja"])
def test_the_backend_add_page_says_which_kind_each_vendor_group_is_for(
    browser, portal_url, secrets_set, language, width
):
    """Both vendors' groups are on the add page (the kind is chosen on it): each says, where a
    person reads it, which kind it is for."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_add"))
    groups = {
        "#id_client_id": ("BeyondTrust Remote Support", "N-able Take Control"),
        "#id_tc_uid": ("N-able Take Control", "BeyondTrust Remote Support"),
    }
    for field, (named, not_named) in groups.items():
        note = page.locator(f"fieldset:has({field}) .description")
        assert note.is_visible()
        text = note.inner_text()
        assert named in text and not_named not in text
        box = note.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    context.close()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en-US",
            "This name contains a character no one can see or read, such as an invisible or "
            "control character or a line break. Please retype it.",
        ),
        (
            "ja",
            "この名前には、誰にも見えない、または読めない文字（不可視文字、制御文字、改行など）が"
            "含まれています。もう一度入力し直してください。",
        ),
    ],
)
def test_an_api_token_name_with_a_zero_width_space_is_refused_under_the_name(
    browser, portal_url, django_user_model, language, message
):
    """A name pasted with a zero-width space looks like "Zendesk" in the box and would be a
    second "Zendesk" in the list (docs/decisions/0116-chat-handoff-computer-name.md)."""
    backend = Backend.objects.create(name="Appliance", base_url="https://support.example.com")
    site = Site.objects.create(name="Acme Support", is_default=True, backend=backend)
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_apitoken_add"))
    page.fill("#id_name", "Zen\u200bdesk")
    page.click("input[name=_save]")
    page.locator(".errornote").wait_for()
    assert page.locator(".field-name ul.errorlist li").all_inner_texts() == [message]
    assert not site.api_tokens.exists()
    page.fill("#id_name", "Zendesk")
    page.click("input[name=_save]")
    page.wait_for_url(portal_url + reverse("admin:portal_apitoken_changelist"))
    assert site.api_tokens.get().name == "Zendesk"
    context.close()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en-US",
            "The address changed: type this secret again or remove it. A stored secret is never sent "
            "to a new address.",
        ),
        (
            "ja",
            "アドレスが変更されました：このシークレットをもう一度入力するか、削除してください。"
            "保存済みのシークレットが新しいアドレスに送信されることはありません。",
        ),
    ],
)
def test_a_new_backend_address_asks_for_the_secret_under_its_box(
    browser, portal_url, secrets_set, language, message
):
    """docs/decisions/0022-write-only-secrets.md: the stored client secret does not follow the
    address to another host; the box it must be typed in says so, and nothing is saved."""
    site, _endpoint = secrets_set
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_change", args=[site.backend_id]))
    page.fill("#id_base_url", "https://elsewhere.example.com")
    page.click("input[name=_save]")
    page.locator(".errornote").wait_for()
    assert page.locator(".field-client_secret ul.errorlist li").all_inner_texts() == [message]
    assert page.locator(".field-client_secret ul.errorlist").is_visible()
    assert "s" * 32 not in page.content()
    site.backend.refresh_from_db()
    assert site.backend.base_url == "https://support.example.com"
    context.close()


@pytest.mark.parametrize(("language", "label"), [("en-US", "Generate a new secret"), ("ja", None)])
def test_a_webhook_secret_is_rotated_by_ticking_generate_on_its_change_page(
    browser, portal_url, secrets_set, language, label
):
    """A person rotating the endpoint's secret finds the box under the secret, ticks it by its
    label in their language, saves, and reads the new secret once in the message."""
    _site, endpoint = secrets_set
    with translation.override(language.lower()):
        label = label or str(translation.gettext("Generate a new secret"))
    context = browser.new_context(locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    box = page.get_by_label(label)
    secret_row, box_row = (
        page.locator(f".form-row:has({s})").bounding_box() for s in ("#id_secret", "#id_generate_secret")
    )
    assert box_row["y"] > secret_row["y"]  # under the secret it replaces
    box.check()
    page.locator("input[name=_continue]").click()
    message = page.locator("ul.messagelist li.success").first
    message.wait_for()
    rotated = Endpoint.objects.get(pk=endpoint.pk).secret
    assert rotated != "w" * 32 and rotated in message.inner_text()
    assert rotated not in page.locator("#endpoint_form").inner_html()
    context.close()


def test_a_vendor_address_typed_in_its_own_letters_shows_in_xn_form_after_saving(
    browser, portal_url, django_user_model
):
    """docs/decisions/0120-unicode-host-names.md: converted where it is typed, refused by name
    when IDNA cannot write it."""
    backend = Backend.objects.create(name="Appliance", base_url="https://support.example.com")
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_change", args=[backend.pk]))
    page.fill("#id_base_url", "https://support.exämple.com")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()
    assert page.input_value("#id_base_url") == "https://support.xn--exmple-cua.com"
    page.fill("#id_base_url", "https://support.ex☃mple.com")
    page.click("input[name=_continue]")
    page.locator(".errornote").wait_for()
    assert page.locator(".field-base_url ul.errorlist li").all_inner_texts() == [
        "“support.ex☃mple.com” cannot be written as a host name: check its spelling."
    ]
    backend.refresh_from_db()
    assert backend.base_url == "https://support.xn--exmple-cua.com"
    context.close()


def test_save_as_new_copies_a_site_once_it_has_its_own_hostname_and_no_default_tick(
    browser, portal_url, django_user_model
):
    """The button is on the site's page; the copy of the default site is refused in words until
    its tick is removed (record 0117), then until its hostname is its own."""
    backend = Backend.objects.create(
        name="Preview", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"
    )
    site = Site.objects.create(name="Acme Support", is_default=True, backend=backend, show_rep_list=False)
    site.hostnames.create(hostname="support.example.com")
    django_user_model.objects.create_superuser("admin", "admin@example.com", "browser-test-password")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_site_change", args=[site.pk]))
    page.fill("#id_name", "Acme Branch")
    page.click("input[name=_saveasnew]")
    page.locator(".errornote").wait_for()
    assert page.locator("ul.errorlist.nonfield li").all_inner_texts() == [
        "Only one site can be the default site, and another site already is. Untick “Default site” to "
        "save this one, or untick it on the other site first."
    ]
    page.uncheck("#id_is_default")
    page.click("input[name=_saveasnew]")
    # The first refusal's page holds an .errornote too: wait for the second page's own error.
    expect(page.locator("#hostnames-group ul.errorlist li")).to_have_text(
        ["Hostname with this Hostname already exists."]
    )
    expect(page.locator("ul.errorlist.nonfield li")).to_have_count(0)
    page.fill("#id_hostnames-0-hostname", "branch.example.com")
    page.click("input[name=_saveasnew]")
    page.locator(".messagelist .success").wait_for()
    copy = Site.objects.get(name="Acme Branch")
    assert page.url == portal_url + reverse("admin:portal_site_change", args=[copy.pk])
    assert list(copy.hostnames.values_list("hostname", flat=True)) == ["branch.example.com"]
    assert list(Site.objects.filter(is_default=True).values_list("name", flat=True)) == ["Acme Support"]
    context.close()
