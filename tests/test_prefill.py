"""Signed prefill links: valid ones lock their values, anything else is ignored."""

import time

import pytest
import time_machine

from portal.prefill import EXP_AHEAD_MAX, LINK_TTL_MAX, sign_prefill, signed_part, verified_values

SECRET = "s3cret-of-the-help-desk"


def test_round_trip_and_locked_values():
    query = sign_prefill(
        secret=SECRET, values={"external_key": "INC 1/2", "name": "Zoë"}, expires_at=int(time.time()) + 60
    )
    assert verified_values(secret=SECRET, query=query) == {"external_key": "INC 1/2", "name": "Zoë"}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda q: q.replace("INC-1", "INC-2"),
        lambda q: q + "&name=Mallory",
        lambda q: q.replace("sig=", "sig=0"),
        lambda q: q.split("&sig=")[0],
        lambda q: q + "&external_key=INC-9",
        # hmac.compare_digest raises on non-ASCII str: this was a 500 on every page
        lambda q: q.split("&sig=")[0] + "&sig=%C3%A9",
    ],
    ids=[
        "changed-value",
        "added-parameter",
        "bad-signature",
        "no-signature",
        "repeated-name",
        "non-ascii-signature",
    ],
)
def test_tampered_links_lock_nothing(tamper):
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) + 60)
    assert verified_values(secret=SECRET, query=tamper(query)) == {}


def test_expired_link_and_wrong_secret_lock_nothing():
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) - 1)
    assert verified_values(secret=SECRET, query=query) == {}
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) + 60)
    assert verified_values(secret="other", query=query) == {}
    assert verified_values(secret="", query=query) == {}


def test_a_link_valid_further_ahead_than_any_the_portal_makes_locks_nothing():
    """An `exp` in milliseconds (or a typo) would lock its values for ever: a link that claims
    to be valid more than the longest the API or the command makes (90 days), and a day for a
    signing clock that is ahead, is not taken as signed."""
    now = int(time.time())
    values = {"external_key": "INC-1"}
    for expires_at in (now + LINK_TTL_MAX, now + EXP_AHEAD_MAX):
        assert verified_values(
            secret=SECRET, query=sign_prefill(secret=SECRET, values=values, expires_at=expires_at)
        )
    for expires_at in (now * 1000 + 60_000, now + EXP_AHEAD_MAX + 60, 10**30):
        query = sign_prefill(secret=SECRET, values=values, expires_at=expires_at)
        assert verified_values(secret=SECRET, query=query) == {}, expires_at
    # Judged as of `now`, as a POST judges its page's rendering time.
    query = sign_prefill(secret=SECRET, values=values, expires_at=now + 100 * 86400)
    assert verified_values(secret=SECRET, query=query) == {}
    assert verified_values(secret=SECRET, query=query, now=now + 10 * 86400) == values


def test_only_prefill_parameters_can_be_signed_and_carried():
    with pytest.raises(ValueError):
        sign_prefill(secret=SECRET, values={"redirect": "https://evil.example"}, expires_at=1)
    query = sign_prefill(secret=SECRET, values={"cf_asset": "A1"}, expires_at=int(time.time()) + 60)
    carried = signed_part(query + "&embed=1&utm_source=x&locale=de")
    assert verified_values(secret=SECRET, query=carried) == {"cf_asset": "A1"}
    with pytest.raises(ValueError):
        sign_prefill(secret=SECRET, values={"locale": "de"}, expires_at=1)


# --- In the flows: a signed link locks, through the POST, without a cookie -----------------
from urllib.parse import parse_qsl, urlencode  # noqa: E402

from tests.conftest import form_data, query_of  # noqa: E402
from tests.parsed_html import element, elements  # noqa: E402

VALID_SURVEY = {
    "issue": "printing",
    "name": "Jane Doe",
    "details": "Printer offline",
    "cf_printer_model": "HP 4000",
    "cf_urgency": "high",
}


@pytest.fixture
def signing_site(site):
    site.prefill_secret = SECRET
    site.save()
    return site


def signed_link(values, *, expires_in=600):
    return sign_prefill(secret=SECRET, values=values, expires_at=int(time.time()) + expires_in)


@pytest.mark.django_db
def test_signed_values_are_shown_locked_and_win_over_what_is_posted(
    client, signing_site, issues, custom_fields
):
    query = signed_link({"external_key": "INC0012345", "name": "Jane Doe"})
    html = client.get(f"/survey/?{query}&locale=de").content.decode()
    # Locked text fields are readonly (focusable, read out), not disabled; the POST below
    # proves the server ignores what is sent for them either way.
    name = element(html, "input", name="name")
    assert (name.attrs["type"], name.attrs["value"]) == ("text", "Jane Doe")
    assert "readonly" in name.attrs and "disabled" not in name.attrs
    carried = dict(parse_qsl(query))
    signed = next(
        v
        for k, v in parse_qsl(html.split('name="signed" value="')[1].split('"')[0].replace("&amp;", "&"))
        if k == "sig"
    )
    assert signed == carried["sig"]
    response = client.post(
        "/survey/",
        form_data(**{**VALID_SURVEY, "name": "Mallory", "external_key": "INC-EVIL", "signed": query}),
    )
    sent = dict(query_of(response["Location"]))
    assert sent["customer.name"] == "Jane Doe"
    assert sent["session.custom.external_key"] == "INC0012345"


@pytest.mark.django_db
def test_tampered_or_expired_signature_locks_nothing(client, signing_site, issues, custom_fields):
    tampered = signed_link({"external_key": "INC-1"}).replace("INC-1", "INC-2")
    response = client.post(
        "/survey/", form_data(**{**VALID_SURVEY, "external_key": "MINE", "signed": tampered})
    )
    assert dict(query_of(response["Location"]))["session.custom.external_key"] == "MINE"
    expired = signed_link({"external_key": "INC-1"}, expires_in=-10)
    html = client.get(f"/survey/?{expired}").content.decode()
    external_key = element(html, "input", name="external_key")
    assert external_key.attrs["value"] == "INC-1"  # an ordinary prefill, still editable
    assert "readonly" not in external_key.attrs and "disabled" not in external_key.attrs


@pytest.mark.django_db
def carried_by_the_page(html: str) -> dict[str, str]:
    """The form's timestamp and signed link, as the rendered page carries them to its POST."""
    return {
        field.attrs["name"]: field.attrs.get("value", "")
        for field in elements(html, "input")
        if field.attrs.get("name") in ("ts", "signed")
    }


def test_a_link_that_expires_while_the_customer_fills_the_form_keeps_its_values(
    client, signing_site, issues, custom_fields
):
    """A locked issue is a disabled radio button, which the browser does not send: a link
    valid when its page was shown keeps its values for that page's POST, or the customer, who
    saw the issue chosen and locked, would be asked to choose one. A page shown after the
    link expired locks nothing, whatever it carries."""
    with time_machine.travel(time.time(), tick=False) as clock:
        query = signed_link({"issue": "printing", "external_key": "INC-1"}, expires_in=60)
        html = client.get(f"/survey/?{query}").content.decode()
        page = carried_by_the_page(html)
        assert page["signed"] and page["ts"]
        clock.shift(600)  # the link expired while the customer typed
        typed = {k: v for k, v in VALID_SURVEY.items() if k != "issue"}
        late = client.post("/survey/", {**form_data(**typed), **page, "external_key": "INC-2"})
        assert late.status_code == 303, late.content.decode()[:2000]
        sent = dict(query_of(late["Location"]))
        assert (sent["codeName"], sent["session.custom.external_key"]) == ("printing", "INC-1")
        fresh = client.post(
            "/survey/", form_data(**VALID_SURVEY, external_key="INC-2", signed=page["signed"])
        )
    assert dict(query_of(fresh["Location"]))["session.custom.external_key"] == "INC-2"


@pytest.mark.django_db
@pytest.mark.parametrize("active_issues", [["printing", "vpn"], ["printing"]])
def test_a_locked_choice_the_page_no_longer_offers_is_left_to_the_customer(
    client, signing_site, issues, custom_fields, active_issues
):
    """A link outlives the site's set-up: its issue may be retired (or, with representatives in
    the menu, its representative gone offline) and its choice no longer an option. Locked, the
    page would show the choice with no option at all (or, with one issue left, send a hidden
    value the form refuses): the customer could never go on. Such a value locks nothing and
    selects nothing; the customer chooses, and the link's other values stay locked."""
    signing_site.issues.exclude(code_name__in=active_issues).update(active=False)
    custom_fields["urgency"].prefill_locks = True
    custom_fields["urgency"].save()
    query = signed_link({"issue": "retired", "cf_urgency": "medium", "external_key": "INC-1"})
    html = client.get(f"/survey/?{query}").content.decode()
    issue_options = [i.attrs.get("value") for i in elements(html, "input", name="issue")]
    if len(active_issues) > 1:
        assert issue_options == active_issues  # every issue offered, none chosen, none locked
        assert not [i for i in elements(html, "input", name="issue") if "checked" in i.attrs]
    else:
        assert issue_options == ["printing"]  # the one issue, as a hidden field
    urgency = element(html, "select", name="cf_urgency")
    assert "disabled" not in urgency.attrs
    assert {o.attrs.get("value") for o in elements(urgency, "option")} >= {"low", "high"}
    assert "readonly" in element(html, "input", name="external_key").attrs
    response = client.post(
        "/survey/",
        form_data(**{**VALID_SURVEY, "cf_urgency": "low", "external_key": "INC-2", "signed": query}),
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    sent = dict(query_of(response["Location"]))
    assert (sent["codeName"], sent["session.custom.urgency"]) == ("printing", "low")
    assert sent["session.custom.external_key"] == "INC-1"


@pytest.mark.django_db
def test_a_plain_prefill_of_an_issue_not_offered_leaves_the_one_issue_chosen(client, signing_site, issues):
    signing_site.issues.exclude(code_name="printing").update(active=False)
    html = client.get("/survey/?issue=vpn&name=Jane").content.decode()
    assert [i.attrs.get("value") for i in elements(html, "input", name="issue")] == ["printing"]


@pytest.mark.django_db
def test_a_page_too_old_to_send_whose_link_expired_meanwhile_is_shown_again_locking_nothing(
    client, signing_site, issues, custom_fields
):
    """The page sent back when the form is too old to send is rendered now, with a fresh
    timestamp: the link is judged as of now there, not as of the old page. Judged as of the
    old page, it showed the issue locked, and the next POST, judged as of the fresh page,
    dropped the lock, so the customer was asked for the issue the page had shown locked."""
    from portal.conf import portal_settings

    with time_machine.travel(time.time(), tick=False) as clock:
        query = signed_link({"issue": "printing", "external_key": "INC-1"}, expires_in=60)
        html = client.get(f"/survey/?{query}").content.decode()
        page = carried_by_the_page(html)
        clock.shift(portal_settings.FORM_MAX_AGE + 60)  # the page and the link both too old
        typed = {k: v for k, v in VALID_SURVEY.items() if k != "issue"}
        again = client.post("/survey/", {**form_data(**typed), **page})
    assert again.status_code == 200
    shown = again.content.decode()
    assert "This page was open for a long time" in shown
    issue_inputs = [field for field in elements(shown, "input") if field.attrs.get("name") == "issue"]
    assert len(issue_inputs) > 1 and not any("disabled" in field.attrs for field in issue_inputs)


@pytest.mark.django_db
def test_custom_field_locks_only_when_the_admin_allows(client, signing_site, issues, custom_fields):
    asset = custom_fields["asset_tag"]
    query = signed_link({"cf_asset_tag": "LT-1"})
    response = client.post("/survey/", form_data(**{**VALID_SURVEY, "cf_asset_tag": "LT-2", "signed": query}))
    assert dict(query_of(response["Location"]))["session.custom.asset_tag"] == "LT-2"
    asset.prefill_locks = True
    asset.save()
    response = client.post("/survey/", form_data(**{**VALID_SURVEY, "cf_asset_tag": "LT-2", "signed": query}))
    assert dict(query_of(response["Location"]))["session.custom.asset_tag"] == "LT-1"


@pytest.mark.django_db
def test_signed_session_key_and_no_secret_no_lock(client, site, issues):
    query = signed_link({"key": "7654321", "external_key": "T-9"})
    response = client.post("/key/", form_data(key="1234567", signed=query))
    assert dict(query_of(response["Location"]))["short_key"] == "1234567"  # site has no secret
    site.prefill_secret = SECRET
    site.save()
    response = client.post("/key/", form_data(key="1234567", signed=query))
    sent = dict(query_of(response["Location"]))
    assert sent["short_key"] == "7654321" and sent["session.custom.external_key"] == "T-9"


@pytest.mark.django_db
def test_the_secret_is_read_once_per_process_and_a_new_one_applies_at_once(
    client, signing_site, issues, custom_fields
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def locked_key(query: str) -> bool:
        html = client.get(f"/survey/?{query}").content.decode()
        return "readonly" in element(html, "input", name="external_key").attrs

    assert locked_key(signed_link({"external_key": "INC-1"}))
    with CaptureQueriesContext(connection) as queries:
        assert locked_key(signed_link({"external_key": "INC-2"}))
    assert not [query for query in queries.captured_queries if "prefill_secret" in query["sql"]]
    signing_site.prefill_secret = "the help desk's new secret"
    signing_site.save()
    assert not locked_key(signed_link({"external_key": "INC-3"}))  # signed with the old secret
    assert locked_key(
        sign_prefill(
            secret="the help desk's new secret",
            values={"external_key": "INC-4"},
            expires_at=int(time.time()) + 60,
        )
    )


@pytest.mark.django_db
def test_a_link_to_the_home_page_goes_on_with_the_customer_to_the_survey(
    client, signing_site, issues, custom_fields
):
    """An integrator's walk-through: a prefill link to the home page (portal_prefill_link --flow
    home, the button's data-flow="home") locked the key form there, but its way to the survey
    carried only the language: the name and the ticket number were empty and editable."""
    query = signed_link({"external_key": "INC-HOME", "name": "Jane Doe"})
    home = client.get(f"/?{query}&locale=de").content.decode()
    survey_link = next(
        a.attrs["href"] for a in elements(home, "a") if a.attrs.get("href", "").startswith("/survey/")
    )
    carried = dict(query_of(survey_link))
    assert carried["sig"] == dict(parse_qsl(query))["sig"] and carried["locale"] == "de"
    survey = client.get(survey_link).content.decode()
    name = element(survey, "input", name="name")
    assert name.attrs["value"] == "Jane Doe" and "readonly" in name.attrs
    # Plain values as well, and nothing when there is nothing to carry.
    home = client.get("/?name=Jane&locale=de").content.decode()
    assert 'href="/survey/?name=Jane&locale=de"' in home
    assert 'href="/survey/?locale=en-us"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_locked_form_never_locks_the_next_customers_form(client, signing_site, issues, custom_fields):
    """The survey's fields are built once per site version and language and copied for each
    request (docs/decisions/0093-prepared-survey-fields.md): one customer's signed link locks
    only their own form."""
    client.post("/survey/", form_data(**{**VALID_SURVEY, "details": ""}))  # the fields are built
    query = signed_link({"external_key": "INC0012345", "name": "Jane Doe"})
    locked = client.post("/survey/", form_data(**{**VALID_SURVEY, "details": "", "signed": query}))
    assert "readonly" in element(locked.content.decode(), "input", name="name").attrs
    html = client.post(
        "/survey/", form_data(**{**VALID_SURVEY, "name": "Max", "details": ""})
    ).content.decode()
    name = element(html, "input", name="name")
    assert name.attrs["value"] == "Max"
    assert "readonly" not in name.attrs and "disabled" not in name.attrs
    assert "Filled in by your help desk" not in html
    response = client.post("/survey/", form_data(**{**VALID_SURVEY, "name": "Max", "external_key": "MINE"}))
    sent = dict(query_of(response["Location"]))
    assert (sent["customer.name"], sent["session.custom.external_key"]) == ("Max", "MINE")


@pytest.mark.django_db
@pytest.mark.parametrize("signed", [True, False])
def test_a_prefilled_name_with_a_character_a_name_must_not_hold_is_not_shown(
    client, signing_site, issues, custom_fields, signed
):
    """A zero-width space inside the name (record 0116), from a plain link or one signed
    before the rule: the form would refuse it, so the customer gets an empty name field."""
    values = {"name": "Jane\u200bDoe", "external_key": "INC0012345"}
    query = signed_link(values) if signed else urlencode(values)
    html = client.get(f"/survey/?{query}").content.decode()
    name = element(html, "input", name="name")
    assert "value" not in name.attrs
    assert "readonly" not in name.attrs and "disabled" not in name.attrs
    assert element(html, "input", name="external_key").attrs["value"] == "INC0012345"


@pytest.mark.django_db
@pytest.mark.parametrize("signed", [True, False])
def test_a_prefilled_name_with_nothing_to_read_is_neither_shown_locked_nor_sent(
    client, signing_site, issues, custom_fields, signed
):
    """A link signed before names needed a letter or digit, or a plain one, may carry "!!!":
    the customer gets an empty, editable name field and their own name goes out."""
    values = {"name": "!!!", "external_key": "INC0012345"}
    query = signed_link(values) if signed else "name=!!!&external_key=INC0012345"
    html = client.get(f"/survey/?{query}").content.decode()
    name = element(html, "input", name="name")
    assert "value" not in name.attrs
    assert "readonly" not in name.attrs and "disabled" not in name.attrs
    external_key = element(html, "input", name="external_key")
    assert external_key.attrs["value"] == "INC0012345"
    assert ("readonly" in external_key.attrs) is signed  # the link's other values still lock
    posted = {**VALID_SURVEY, "name": "Jane Doe", "external_key": "INC0012345"}
    response = client.post("/survey/", form_data(**posted, signed=query if signed else ""))
    assert dict(query_of(response["Location"]))["customer.name"] == "Jane Doe"


@pytest.mark.django_db
def test_the_home_pages_key_form_locks_what_its_fields_take_and_drops_a_hidden_value_they_refuse(
    client, signing_site, issues
):
    """The landing page's key form locks as the key page does (PublicForm.lock): a signed key of
    the wrong shape is prefilled and editable, the signed external key beside it stays locked; a
    valid key locks; a plain external key over its limit, carried unseen, starts empty."""
    html = client.get(f"/?{signed_link({'key': '12345', 'external_key': 'T-9'})}").content.decode()
    assert 'action="/key/' in html  # the home page, with its key form
    key, external_key = element(html, "input", name="key"), element(html, "input", name="external_key")
    assert key.attrs["value"] == "12345" and "readonly" not in key.attrs and "disabled" not in key.attrs
    assert external_key.attrs["value"] == "T-9" and "disabled" in external_key.attrs
    html = client.get(f"/?{signed_link({'key': '765 4321'})}").content.decode()
    key = element(html, "input", name="key")
    assert key.attrs["value"] == "765 4321" and "readonly" in key.attrs
    html = client.get("/?key=7654321&external_key=" + "X" * 1100).content.decode()
    assert "value" not in element(html, "input", name="external_key").attrs
    assert element(html, "input", name="key").attrs["value"] == "7654321"


@pytest.mark.django_db
def test_a_link_with_its_exp_in_milliseconds_is_an_ordinary_prefill(
    client, signing_site, issues, custom_fields
):
    """Signed with `Date.now()` rather than seconds, a link locked for ever: its values are a
    plain prefill, which the customer may change, and the longest link the API makes locks."""
    values = {"external_key": "INC0012345", "name": "Jane Doe"}
    query = sign_prefill(secret=SECRET, values=values, expires_at=int(time.time() * 1000) + 600_000)
    html = client.get(f"/survey/?{query}").content.decode()
    for name, value in values.items():
        tag = element(html, "input", name=name)
        assert tag.attrs["value"] == value and "readonly" not in tag.attrs and "disabled" not in tag.attrs
    response = client.post(
        "/survey/", form_data(**{**VALID_SURVEY, "name": "Joan Roe", "external_key": "MINE", "signed": query})
    )
    sent = dict(query_of(response["Location"]))
    assert (sent["customer.name"], sent["session.custom.external_key"]) == ("Joan Roe", "MINE")
    longest = signed_link(values, expires_in=LINK_TTL_MAX)
    name = element(client.get(f"/survey/?{longest}").content.decode(), "input", name="name")
    assert name.attrs["value"] == "Jane Doe" and "readonly" in name.attrs
