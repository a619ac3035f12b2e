"""The BeyondTrust start URLs, whole and parameter by parameter
(docs/decisions/0001-beyondtrust-start-url-styles.md to
docs/decisions/0008-timezone-offset-from-browser.md)."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from portal.vendors.beyondtrust.start_url import (
    StartParams,
    legacy_start_url,
    modern_start_url,
    platform_for_user_agent,
)

BASE = "https://support.example.com"

FULL_ISSUE = StartParams(
    issue_code_name="printing",
    customer_name="Jane Doe",
    customer_company="Acme & Co",
    customer_company_code="ACME-01",
    customer_details="Printer offline\nsince 9:00",
    external_key="INC0012345",
    custom=(("asset_tag", "LT-4471"), ("urgency", "high")),
    priority=1,
    skills=("windows", "printing"),
    locale="de",
    chat_locale="en-us",
    chat=True,
    platform="winNT-64",
    timezone_offset=120,
)

MODERN_CASES = [
    pytest.param(
        FULL_ISSUE,
        False,
        BASE + "/api/start_session?issue_menu=1&codeName=printing&c2cjs=1&customer.name=Jane%20Doe"
        "&customer.company=Acme%20%26%20Co&customer.company_code=ACME-01"
        "&customer.details=Printer%20offline%0Asince%209%3A00&locale=de&chat_locale=en-us"
        "&platform=winNT-64&session.priority=1&session.skills=windows,printing&timezone_offset=120"
        "&session.custom.external_key=INC0012345&session.custom.asset_tag=LT-4471"
        "&session.custom.urgency=high",
        id="issue-every-parameter",
    ),
    pytest.param(
        StartParams(issue_id=7, locale="en-us"),
        False,
        BASE + "/api/start_session?issue_menu=1&id=7&locale=en-us",
        id="issue-by-numeric-id",
    ),
    pytest.param(
        StartParams(short_key="1234567", locale="fr", timezone_offset=-300, external_key="T-1"),
        False,
        BASE + "/api/start_session?short_key=1234567&locale=fr&timezone_offset=-300"
        "&session.custom.external_key=T-1",
        id="key-with-optional-parameters",
    ),
    pytest.param(
        StartParams(
            short_key="1234567", locale="fr", timezone_offset=-300, external_key="T-1", platform="winNT-32"
        ),
        True,
        BASE + "/api/start_session?short_key=1234567&session.custom.external_key=T-1",
        id="key-prompt-before-download-sends-key-and-external-key-only",
    ),
    pytest.param(
        StartParams(short_key="1234567", locale="fr"),
        True,
        BASE + "/api/start_session?short_key=1234567",
        id="key-prompt-before-download-without-external-key",
    ),
    pytest.param(
        StartParams(rep_id=12, rep_name="Alex K.", locale="ja", timezone_offset=540),
        False,
        BASE + "/api/start_session?id=12&name=Alex%20K.&locale=ja&timezone_offset=540",
        id="rep-id-and-public-name",
    ),
    pytest.param(
        StartParams(
            issue_code_name="vpn", customer_name="山田 太郎", customer_details="😀", timezone_offset=0
        ),
        False,
        BASE
        + "/api/start_session?issue_menu=1&codeName=vpn&customer.name=%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E"
        "&customer.details=%F0%9F%98%80&timezone_offset=0",
        id="utf8-and-zero-offset-kept",
    ),
]


@pytest.mark.parametrize(("params", "key_only", "expected"), MODERN_CASES)
def test_modern_start_url_is_exactly_as_decided(params, key_only, expected):
    assert modern_start_url(BASE, params, key_only=key_only) == expected


def test_modern_issue_url_parameter_by_parameter():
    url = modern_start_url(BASE, FULL_ISSUE)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "support.example.com", "/api/start_session")
    assert parse_qsl(parts.query) == [
        ("issue_menu", "1"),
        ("codeName", "printing"),
        ("c2cjs", "1"),
        ("customer.name", "Jane Doe"),
        ("customer.company", "Acme & Co"),
        ("customer.company_code", "ACME-01"),
        ("customer.details", "Printer offline\nsince 9:00"),
        ("locale", "de"),
        ("chat_locale", "en-us"),
        ("platform", "winNT-64"),
        ("session.priority", "1"),
        ("session.skills", "windows,printing"),
        ("timezone_offset", "120"),
        ("session.custom.external_key", "INC0012345"),
        ("session.custom.asset_tag", "LT-4471"),
        ("session.custom.urgency", "high"),
    ]
    assert "+" not in parts.query, "spaces are %20, never +"
    assert "session%2E" not in parts.query, "keys are left as written"


def test_empty_values_are_omitted():
    url = modern_start_url(
        BASE,
        StartParams(
            issue_code_name="x", customer_name="", customer_company="", locale="", chat=False, priority=None
        ),
    )
    assert url == BASE + "/api/start_session?issue_menu=1&codeName=x"


LEGACY_CASES = [
    pytest.param(
        StartParams(
            issue_id=1,
            customer_name="John Doe",
            customer_company="Company",
            customer_company_code="1234",
            customer_details="I need support",
            external_key="1234",
            custom=(("asset_tag", "X"),),
            skills=("a",),
            priority=2,
            locale="de",
            chat=True,
            timezone_offset=60,
        ),
        False,
        BASE + "/download_customer_connector.ns?issue_menu=1&id=1&customer_name=John%20Doe"
        "&customer_company=Company&customer_company_code=1234&customer_desc=I%20need%20support&external_key=1234",
        id="issue-legacy-names-only",
    ),
    pytest.param(
        StartParams(rep_id=3, rep_name="Sam"),
        False,
        BASE + "/download_customer_connector.ns?id=3&name=Sam",
        id="rep",
    ),
    pytest.param(
        StartParams(short_key="7654321", external_key="T-9"),
        True,
        BASE + "/download_customer_connector.ns?short_key=7654321&external_key=T-9",
        id="key",
    ),
]


@pytest.mark.parametrize(("params", "key_only", "expected"), LEGACY_CASES)
def test_legacy_start_url_uses_the_old_names(params, key_only, expected):
    assert legacy_start_url(BASE, params, key_only=key_only) == expected


def test_legacy_issue_needs_numeric_id():
    with pytest.raises(ValueError):
        legacy_start_url(BASE, StartParams(issue_code_name="printing"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"short_key": "1234567", "issue_code_name": "x"},
        {"rep_id": 1, "rep_name": "A", "short_key": "1234567"},
        {"issue_code_name": "x", "issue_id": 3},
        {"rep_id": 1},
    ],
    ids=["no-selector", "key-and-issue", "rep-and-key", "codename-and-id", "rep-without-name"],
)
def test_exactly_one_queue_selector(kwargs):
    with pytest.raises(ValueError):
        StartParams(**kwargs)


@pytest.mark.parametrize(
    ("user_agent", "platform"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "winNT-64"),
        ("Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.1", "winNT-64"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36", "winNT-32"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15", ""),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", ""),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", ""),
        ("", ""),
        # Windows in name only: they run no Windows desktop program, the client included.
        (  # Windows 10 Mobile, Edge
            "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
            "",
        ),
        (  # Windows Phone 8.1, Internet Explorer Mobile
            "Mozilla/5.0 (Mobile; Windows Phone 8.1; Android 4.0; ARM; Trident/7.0; Touch; rv:11.0; "
            "IEMobile/11.0; NOKIA; Lumia 635) like iPhone OS 7_0_3 Mac OS X AppleWebKit/537 (KHTML, "
            "like Gecko) Mobile Safari/537",
            "",
        ),
        ("Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0)", ""),
        ("Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 8.12; MSIEMobile 6.5)", ""),
        ("HTC_Touch_Diamond2_T5353 Mozilla/4.0 (compatible; MSIE 6.0; Windows Mobile 6.5)", ""),
        (  # Xbox One, Edge: says 64-bit Windows too
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/14.14393",
            "",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/20.02",
            "",
        ),
        ("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0; Xbox; Xbox One)", ""),
        ("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; ARM; Trident/6.0; Touch)", ""),  # Windows RT
        # Windows PCs that are not phones: still named.
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "winNT-64",
        ),
        ("Mozilla/5.0 (Windows NT 6.1; Trident/7.0; Touch; rv:11.0) like Gecko", "winNT-32"),
        ("Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0", "winNT-32"),
    ],
)
def test_platform_from_user_agent(user_agent, platform):
    assert platform_for_user_agent(user_agent) == platform


def test_skills_cannot_add_parameters_even_if_saved_unvalidated():
    url = modern_start_url(BASE, StartParams(issue_code_name="x", skills=("a&locale=xx", "b")))
    assert url == BASE + "/api/start_session?issue_menu=1&codeName=x&session.skills=a%26locale%3Dxx,b"
    assert dict(parse_qsl(urlsplit(url).query))["session.skills"] == "a&locale=xx,b"


@pytest.mark.parametrize(
    "values",
    [
        {"customer_name": "x" * 101},
        {"customer_company": "é" * 101},
        {"customer_company_code": "1" * 101},
        {"customer_details": "é" * 513},  # 1026 UTF-8 bytes
        {"external_key": "k" * 1025},
        {"custom": (("asset_tag", "x" * 1025),)},
        {"custom": tuple((f"f{n}", "é" * 1000) for n in range(5)), "external_key": "k"},  # 10,001 bytes
        {"custom": (("external_key", "INC1"),)},
        {"custom": (("asset tag", "x"),)},
        {"priority": 4},
        {"timezone_offset": 841},
        {"timezone_offset": -721},
        {"platform": "mac"},
    ],
    ids=lambda values: ",".join(values),
)
def test_a_value_the_vendor_would_reject_makes_no_url(values):
    """docs/decisions/0025-limits-in-the-vendors-units.md: the builders' last line of defence."""
    with pytest.raises(ValueError):
        modern_start_url(BASE, StartParams(issue_code_name="x", **values))


def test_a_key_that_is_no_7_character_key_makes_no_url():
    with pytest.raises(ValueError):
        modern_start_url(BASE, StartParams(short_key="123456"))
    with pytest.raises(ValueError):
        legacy_start_url(BASE, StartParams(short_key="123 4567"))


def test_each_style_counts_the_description_in_its_own_unit():
    """1024 characters of two bytes each: the legacy customer_desc takes them, the modern
    customer.details (1024 UTF-8 bytes) does not."""
    params = StartParams(issue_id=1, customer_details="é" * 1024)
    assert dict(parse_qsl(urlsplit(legacy_start_url(BASE, params)).query))["customer_desc"] == "é" * 1024
    with pytest.raises(ValueError):
        modern_start_url(BASE, params)
    with pytest.raises(ValueError):
        legacy_start_url(BASE, StartParams(issue_id=1, customer_details="x" * 1025))


def test_values_at_every_limit_make_a_url():
    params = StartParams(
        issue_code_name="x",
        customer_name="é" * 100,
        customer_company="😀" * 100,
        customer_company_code="1" * 100,
        customer_details="é" * 512,
        external_key="k" * 1000,
        custom=tuple((f"f{n}", "x" * 1000) for n in range(9)),
        priority=3,
        timezone_offset=-720,
        platform="winNT-32",
    )
    query = dict(parse_qsl(urlsplit(modern_start_url(BASE, params)).query))
    assert query["customer.details"] == "é" * 512 and query["session.custom.f8"] == "x" * 1000
