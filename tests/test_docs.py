"""The repository explains itself: every citation in the code resolves to a file under docs/.

Docstrings and comments cite the design records and vendor notes as paths, optionally with a
GitHub-style heading anchor: `docs/decisions/0009-rep-list-by-public-name.md`,
`docs/vendors/beyondtrust.md#limits`. These tests fail when a cited file or heading does not
exist (a record renamed, a heading reworded) and when a citation of a document that is not in
the repository is left in the code ("decision 9", "§4.5", "beyondtrust.md Part 2"), because
whoever picks the project up cannot follow it.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCANNED = (
    "portal",
    "templates",
    "static",
    "tests",
    "bench",
    "README.md",
    ".env.example",
    "Makefile",
    "Dockerfile",
    "docker-entrypoint.sh",
    "pyproject.toml",
    ".ci",
    "manage.py",
    "gunicorn.conf.py",
)
SKIPPED_DIRS = {"node_modules", "__pycache__", ".venv", "locale", "test-artifacts", ".pytest_cache"}
SKIPPED_SUFFIXES = {
    ".mo",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".ico",
    ".sqlite3",
    ".pyc",
    ".woff",
    ".woff2",
}
THIS_FILE = Path(__file__).resolve()

# docs/some/file.md, docs/some/file.md#anchor, or a folder docs/some/
CITATION = re.compile(r"(?<![\w/.-])(docs/(?:[\w.-]+/)*(?:[\w.-]+\.md)?)(#[\w-]+)?")
# Citations of documents that are not in the repository.
OLD_FORM = re.compile(
    r"\b[Dd]ecisions?\s+\d"  # "decision 9", "decisions 11 and 12"
    r"|§\s?\d"  # "§4.5", "product spec §6"
    r"|(?<![\w/.-])(?:beyondtrust|takecontrol|product)\.md"  # a spec by its file name
    r"|\b[Pp]roduct spec\b"
    r"|\bPart [12]\b"  # "Part 2 §3"
    r"|\bpitfalls?\s+\d"
    r"|\bseed \d{3}\b"
)
OTHER_STANDARD = re.compile(r"RFC[ \t]*\d+[ \t]*$")  # "RFC 9110 §10.2.3" is not ours
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def scanned_files() -> list[Path]:
    found = []
    for name in SCANNED:
        base = ROOT / name
        if base.is_file():
            found.append(base)
        for folder, subfolders, names in os.walk(base):
            subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_DIRS)  # no node_modules
            found += [Path(folder) / n for n in sorted(names) if Path(n).suffix not in SKIPPED_SUFFIXES]
    return [path for path in found if path.resolve() != THIS_FILE]


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2 for repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def problem(target: Path, anchor: str) -> str:
    """Why a citation does not resolve, or "" when it does."""
    if not target.exists():
        return "no such file"
    if anchor:
        if target.is_dir() or target.suffix != ".md":
            return "an anchor on something that is not a Markdown file"
        if anchor[1:] not in anchors(target):
            return f"no heading {anchor} (headings: {', '.join(sorted(anchors(target)))})"
    return ""


def old_forms(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in OLD_FORM.finditer(line):
            if match.group(0).startswith("§") and OTHER_STANDARD.search(line[: match.start()]):
                continue
            found.append((number, line.strip()))
            break
    return found


def test_the_old_form_detector_has_teeth():
    flagged = [
        "see decision 9",
        "Decision 10: reps",
        "(decisions 11 and 12)",
        "(§4.5)",
        "product spec §6",
        "beyondtrust.md Part 2",
        "(Part 2 §3)",
        "§5 pitfall 12",
        "takecontrol.md",
        "seed 001",
    ]
    allowed = [
        "docs/decisions/0009-rep-list-by-public-name.md",
        "docs/vendors/beyondtrust.md#oauth",
        "docs/vendors/takecontrol.md",
        "(RFC 9110 §10.2.3)",
        "Decisions where the specs are silent:",
        "a decision record",
    ]
    assert [text for text in flagged if not old_forms(text)] == []
    assert [text for text in allowed if old_forms(text)] == []


def test_the_slug_follows_github():
    assert slug("`get_logged_in_reps`") == "get_logged_in_reps"
    assert slug("REST create session") == "rest-create-session"
    assert (
        slug("Legacy Bomgar: `download_customer_connector.ns`")
        == "legacy-bomgar-download_customer_connectorns"
    )
    assert slug("0009. A rep start takes the public name") == "0009-a-rep-start-takes-the-public-name"


def test_every_docs_citation_in_the_code_resolves():
    citations = 0
    broken = []
    for path in scanned_files():
        text = read(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in CITATION.finditer(line):
                citations += 1
                cited, anchor = match.group(1), match.group(2) or ""
                why = problem(ROOT / cited, anchor)
                if why:
                    broken.append(f"{path.relative_to(ROOT)}:{number}: {cited}{anchor}: {why}")
    assert broken == [], "citations that do not resolve:\n" + "\n".join(broken)
    assert citations > 0, "no docs/ citation found: the scan itself is broken"


def test_no_citation_of_a_document_outside_the_repository_remains():
    left = []
    for path in scanned_files():
        text = read(path)
        if text is not None:
            left += [f"{path.relative_to(ROOT)}:{n}: {line}" for n, line in old_forms(text)]
    assert left == [], (
        "citations of documents that are not in the repository; cite "
        "docs/decisions/ or docs/vendors/ instead:\n" + "\n".join(left)
    )


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_links_between_docs_resolve(page):
    broken = []
    for link in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", link):  # http:, https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        why = problem((page.parent / target).resolve() if target else page, f"#{anchor}" if anchor else "")
        if why:
            broken.append(f"{link}: {why}")
    assert broken == []


def test_every_decision_record_is_in_the_index():
    index = (DOCS / "decisions" / "README.md").read_text(encoding="utf-8")
    records = sorted(p.name for p in (DOCS / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records, "no decision records found"
    assert [name for name in records if f"({name})" not in index] == []
    numbers = [name[:4] for name in records]
    assert sorted(set(numbers)) == numbers, "two records share a number"
