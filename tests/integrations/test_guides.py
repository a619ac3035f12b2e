"""The guides hold no code that no test runs, and what they quote from the portal is what the
portal says (docs/integrations/README.md)."""

from __future__ import annotations

import re

import pytest

from portal.branding import embed_snippet
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
    assert {b.guide for b in blocks} == set(GUIDE_FILES)
    untitled = [(b.guide, b.code[:60]) for b in blocks if not b.title]
    assert untitled == []
    titles = [(b.guide, b.title) for b in blocks]
    assert len(titles) == len(set(titles)), "a title used twice in one guide"
    assert set(titles) == covered()


def test_the_index_links_every_guide():
    index = (GUIDES / "README.md").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"\]\(([\w-]+\.md)\)", index))) == sorted(GUIDE_FILES)


@pytest.mark.parametrize("guide", GUIDE_FILES[:4])
def test_embed_snippet_is_the_one_admin_shows(guide):
    assert snippet(guide, "embed-snippet.html").strip() == embed_snippet(
        origin=PORTAL_URL, site_name="Remote support"
    )


@pytest.mark.parametrize("guide", GUIDE_FILES[:4])
def test_each_platform_guide_covers_embedding_links_and_the_webhook(guide):
    text = (GUIDES / guide).read_text(encoding="utf-8")
    for needed in ("allowed embedding origins", "sandbox", "prefill link secret", "webhook", "external_key"):
        assert needed in text, f"{guide} does not mention {needed}"
