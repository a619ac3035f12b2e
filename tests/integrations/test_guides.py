"""The guides hold no code that no test runs, and what they quote from the portal is what the
portal says (docs/integrations/README.md)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.text import capfirst

from tests.admin.test_setup import admin_snippet
from tests.integrations import test_links, test_webhook_receivers
from tests.integrations.snippets import GUIDES, PORTAL_URL, all_blocks, snippet

GUIDE_FILES = ["zendesk.md", "servicenow.md", "freshdesk.md", "jira-service-management.md", "webhooks.md"]
EMBED_SNIPPETS = {guide: {"embed-snippet.html"} for guide in GUIDE_FILES[:4]}


def covered() -> set[tuple[str, str]]:
    found = set()
    for table in (test_links.COVERED, test_webhook_receivers.COVERED, EMBED_SNIPPETS):
        found |= {(guide, title) for guide, titles in table.items() for title in titles}
    return found


def test_every_block_has_a_title_and_a_test():
    blocks = all_blocks()
    assert {b.guide for b in blocks} == {*GUIDE_FILES, "README.md"}  # the index: the shell recipe
    untitled = [(b.guide, b.code[:60]) for b in blocks if not b.title]
    assert untitled == []
    titles = [(b.guide, b.title) for b in blocks]
    assert len(titles) == len(set(titles)), "a title used twice in one guide"
    assert set(titles) == covered()


def test_the_index_links_every_guide():
    index = (GUIDES / "README.md").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"\]\(([\w-]+\.md)\)", index))) == sorted(GUIDE_FILES)


@pytest.mark.django_db
@pytest.mark.parametrize("guide", GUIDE_FILES[:4])
def test_embed_snippet_is_the_one_admin_shows(admin_client, site, settings, guide):
    """What the guide shows is what the site's admin page gives to copy, for the site the
    guide names ("Remote support" at the guides' portal address)."""
    settings.HTTPS = True
    site.name = "Remote support"
    site.save()
    site.hostnames.create(hostname=urlsplit(PORTAL_URL).hostname)
    assert snippet(guide, "embed-snippet.html").strip() == admin_snippet(admin_client, site)


def admin_labels() -> dict[str, str]:
    """The admin's words a platform guide walks its reader through, as the admin shows them."""
    from portal.admin.secrets import generate_secret_field
    from portal.admin.sites import SiteAdmin
    from portal.models import ApiToken, Site
    from portal.webhooks.admin import EndpointAdmin
    from portal.webhooks.apps import WebhooksConfig
    from portal.webhooks.models import Endpoint

    with translation.override("en"):
        sections = {str(name) for name, _options in SiteAdmin.fieldsets if name}
        labels = {
            "sites": capfirst(Site._meta.verbose_name_plural),
            "embedding section": "Embedding",
            "advanced section": "Advanced",
            "embedding origins": Site._meta.get_field("frame_ancestors").verbose_name,
            "embedding snippet": capfirst(SiteAdmin.embed_code.short_description),  # type: ignore[attr-defined]
            "prefill secret": Site._meta.get_field("prefill_secret").verbose_name,
            "generate": generate_secret_field().label,
            "webhooks app": WebhooksConfig.verbose_name,
            "endpoints": capfirst(Endpoint._meta.verbose_name_plural),
            "signing secret": Endpoint._meta.get_field("secret").verbose_name,
            "test event": EndpointAdmin.send_test_event.short_description,  # type: ignore[attr-defined]
        }
        assert {"Embedding", "Advanced"} <= sections
        api_tokens = capfirst(ApiToken._meta.verbose_name_plural)
        return {what: str(label) for what, label in labels.items()} | {"api tokens": str(api_tokens)}


@pytest.mark.parametrize("guide", GUIDE_FILES[:4])
def test_the_guides_name_the_admins_labels(guide):
    """A reader setting the portal up finds each step under the label the admin shows: the
    site's sections and fields, the secret it generates, the webhook endpoint and its test."""
    text = " ".join((GUIDES / guide).read_text(encoding="utf-8").split())
    labels = admin_labels()
    if guide != "jira-service-management.md":  # its link comes from the app or the API
        labels.pop("api tokens")
    if guide == "jira-service-management.md":  # JSM takes no frame: no embedding steps
        labels.pop("embedding snippet")
    missing = [f"{what}: {label}" for what, label in labels.items() if label not in text]
    assert missing == []


def test_the_guides_api_calls_are_the_apis():
    """Every API call a guide tells its reader to make is an operation of the API, with body
    fields it takes and values it accepts, and the lifetimes the guides quote are its own."""
    from portal.api import openapi_document

    document = openapi_document()
    base = document["servers"][0]["url"]
    problems = []
    bodies_checked = 0
    for guide in GUIDE_FILES:
        text = " ".join((GUIDES / guide).read_text(encoding="utf-8").split())
        for method, path in re.findall(rf"`(GET|POST) (?:{re.escape(PORTAL_URL)})?{base}(/[\w-]+)`", text):
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                problems.append(f"{guide}: no operation {method} {path}")
                continue
            if path != "/prefill-links":
                continue
            schema = document["components"]["schemas"][
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            ]
            fields = schema["properties"]
            for body in re.findall(r'`(\{"(?:flow|values)".*?\})`', text):
                sent = json.loads(re.sub(r"\{\{[\w.]+\}\}", "x", body))
                bodies_checked += 1
                problems += [f"{guide}: {path} takes no `{name}`" for name in set(sent) - set(fields)]
                if sent.get("flow", "survey") not in fields["flow"]["enum"]:
                    problems.append(f"{guide}: {path} takes no flow {sent['flow']}")
            lifetime = fields["expires_in"]
            if f"{lifetime['default'] // 86400} days" not in text:
                problems.append(f"{guide}: the default lifetime is {lifetime['default']} seconds")
            if f"at most {lifetime['maximum'] // 86400} days" not in text:
                problems.append(f"{guide}: the longest lifetime is {lifetime['maximum']} seconds")
    assert problems == []
    assert any("prefill-links" in (GUIDES / guide).read_text(encoding="utf-8") for guide in GUIDE_FILES)
    # The patterns above found the guides' calls and bodies (a guide writing them another way
    # would otherwise leave nothing checked): Jira Service Management's and Zendesk's.
    assert bodies_checked >= 2


def test_the_guides_that_call_the_api_quote_its_limit():
    """A guide that has its reader call the API says how many calls a token may make (the
    portal's default, over a sliding minute: docs/decisions/0111-sliding-api-rate-limit.md)
    and that a 429's `Retry-After` says when to call again."""
    from portal.api import openapi_document
    from portal.conf import PortalSettings

    base = openapi_document()["servers"][0]["url"]
    limit = PortalSettings.API_RATE_LIMIT.default
    calling = [guide for guide in GUIDE_FILES if f"{base}/" in (GUIDES / guide).read_text(encoding="utf-8")]
    assert len(calling) >= 2  # Jira Service Management's and Zendesk's
    for guide in calling:
        text = " ".join((GUIDES / guide).read_text(encoding="utf-8").split())
        # Not "in any 60 seconds": the estimate may hold back a token whose calls are older
        # (tests/test_sliding_limit.py, ..._may_still_be_held_back).
        assert f"{limit} calls a minute" in text and "sliding minute" in text, guide
        assert "in any 60 seconds" not in text, guide
        assert "`429`" in text and "`Retry-After`" in text, guide


@pytest.mark.parametrize("guide", GUIDE_FILES[:4])
def test_each_platform_guide_covers_embedding_links_and_the_webhook(guide):
    text = (GUIDES / guide).read_text(encoding="utf-8")
    for needed in ("allowed embedding origins", "sandbox", "prefill link secret", "webhook", "external_key"):
        assert needed in text, f"{guide} does not mention {needed}"


def test_where_the_docs_say_what_exp_is_they_say_how_far_ahead_it_may_be():
    """A link valid further ahead than `prefill.EXP_AHEAD_MAX` locks nothing
    (docs/decisions/0023-signed-prefill-links.md): each place that tells a signer what `exp` is
    says so, in the portal's own number of days."""
    from portal.prefill import EXP_AHEAD_MAX

    bound = f"Unix time in seconds, at most {EXP_AHEAD_MAX // 86400} days ahead"
    places = [GUIDES / guide for guide in GUIDE_FILES] + [
        GUIDES / "README.md",
        GUIDES.parent.parent / "README.md",
    ]
    said = []
    for path in places:
        text = " ".join(path.read_text(encoding="utf-8").replace("\n//", "\n").split())
        said += [(path.name, found) for found in re.findall(r"\(Unix time[^)]*\)", text)]
    assert len(said) >= 6  # the four help desks' guides, their README, the project's README
    assert [(name, found) for name, found in said if found != f"({bound})"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("guide", GUIDE_FILES)
def test_the_guides_api_bodies_make_links_that_lock(client, signing_site, settings, guide):
    """Each prefill-links body a guide quotes, sent as the guide says (a token's bearer header,
    JSON), is answered with a link that locks its values on the portal."""
    from portal.tokens import create_api_token
    from tests.integrations.conftest import assert_link_locks, locked_inputs
    from tests.integrations.snippets import portal_path

    text = " ".join((GUIDES / guide).read_text(encoding="utf-8").split())
    bodies = re.findall(r'`(\{"(?:flow|values)".*?\})`', text)
    if "/prefill-links`" not in text:
        assert bodies == []
        return
    assert bodies, guide
    settings.HTTPS = True  # the guides' portal: https://support.example.com
    signing_site.hostnames.create(hostname=urlsplit(PORTAL_URL).hostname)
    token = create_api_token(site=signing_site, name="Help desk").secret
    for quoted in bodies:
        body = json.loads(re.sub(r"\{\{[\w.]+\}\}", "HELP-42", quoted))
        answer = client.post(
            "/api/v1/prefill-links",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.content
        link, values = answer.json()["url"], body["values"]
        if {"name", "external_key"} <= set(values):  # what a start is checked to carry
            assert_link_locks(client, link, values, flow=body.get("flow", "survey"))
        else:
            page = client.get(portal_path(link))
            assert page.status_code == 200
            locked_inputs(page.content.decode(), values)
