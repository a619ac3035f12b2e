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


# ------------------------------------------------------------------------------
# The README's API section says what the API does (portal/api/, its OpenAPI document)
# ------------------------------------------------------------------------------
README_CALL = re.compile(r"^`(GET|POST|PUT|PATCH|DELETE) /api/v1(/\S*)`$")
SMALL_ENUM = 5  # a choice of a few values is listed; a longer one (the 16 locales) is described


def readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows(section: str) -> list[list[str]]:
    """Each Markdown table row's cells, header and separator rows left out."""
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [row for row in rows if row[0] not in ("Call", "Status")]


def resolved(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def spelled(number: int) -> set[str]:
    """How the README may write a bound: the number, or whole days of seconds."""
    forms = {str(number)}
    if number >= 86400 and number % 86400 == 0:
        forms.add(f"{number // 86400} day" + ("s" if number != 86400 else ""))
    return forms


def says(cell: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(text)}(?![\w])", cell) is not None


def test_the_readmes_api_calls_are_the_documents_with_their_body_fields():
    """Every call in the README's table is an operation of the served document and the other
    way round (the document itself aside); each lists every body field (required ones bold),
    the values of a small choice and the bounds of a number, so the table cannot drift from
    portal/api/schemas.py."""
    from portal.api import openapi_document

    document = openapi_document()
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if operation["operationId"] != "openapi"
    }
    rows = {}
    for row in table_rows(readme_section("Integrations API")):
        if match := README_CALL.match(row[0]):
            rows[(match.group(1), match.group(2))] = row[1]
    assert sorted(rows) == sorted(operations)
    problems = []
    for key, operation in operations.items():
        cell, call = rows[key], " ".join(key)
        body = operation.get("requestBody")
        if body is None:
            if cell != "none":
                problems.append(f"{call}: takes no body, the README says {cell!r}")
            continue
        schema = resolved(document, body["content"]["application/json"]["schema"])
        required = set(schema.get("required", []))
        for name, field in schema["properties"].items():
            field = resolved(document, field)
            if name in required and f"**`{name}`**" not in cell:
                problems.append(f"{call}: `{name}` is required: write it **`{name}`**")
            elif name not in required and (f"`{name}`" not in cell or f"**`{name}`**" in cell):
                problems.append(f"{call}: `{name}` is optional: write it `{name}`, not bold")
            if len(field.get("enum", ())) <= SMALL_ENUM:
                problems += [
                    f"{call}: `{name}` takes `{value}`"
                    for value in field.get("enum", ())
                    if f"`{value}`" not in cell
                ]
            for bound in ("minimum", "maximum"):
                if bound in field and not any(says(cell, form) for form in spelled(field[bound])):
                    problems.append(f"{call}: `{name}`'s {bound} is {field[bound]}")
    assert problems == []


def test_the_readmes_api_errors_are_the_ones_the_api_answers():
    """Every status an operation documents, the routing's 404 and 405 and every `error` code
    the envelope may carry are in the README's table, with the headers the status carries."""
    from portal.api import errors, openapi_document

    document = openapi_document()
    headers: dict[int, set[str]] = {}
    for methods in document["paths"].values():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    headers.setdefault(int(status), set()).update(response.get("headers", {}))
    for error in (errors.not_found(), errors.method_not_allowed(["POST"]), errors.too_large()):
        headers.setdefault(error.status, set()).update(error.headers)
    rows = {int(row[0]): row for row in table_rows(readme_section("Integrations API")) if row[0].isdigit()}
    assert sorted(set(headers) - set(rows)) == []
    codes = {code for row in rows.values() for code in re.findall(r"`(\w+)`", row[1])}
    assert sorted(codes) == sorted(errors.ERROR_CODES)
    missing = [
        f"{status}: {name}"
        for status, names in headers.items()
        for name in names
        if name not in rows[status][2]
    ]
    assert missing == []


def test_the_readmes_prefill_parameters_are_the_ones_each_page_takes():
    """The README's table of prefill parameters names, page by page, what that page's forms
    read from a link (portal/prefill.py), no more and no fewer."""
    from portal.prefill import KEY_PAGE_NAMES, REP_LIST_NAMES, SURVEY_NAMES

    def names(cell: str) -> set[str]:
        return set(re.findall(r"`([a-z_<>]+)`", cell)) - {"cf_<code_name>"}

    rows = {re.sub(r" `.*", "", row[0]): row[1] for row in table_rows(readme_section("Prefill links"))}
    assert names(rows["session key"]) == set(KEY_PAGE_NAMES)
    assert names(rows["survey"]) == set(SURVEY_NAMES)
    assert "cf_<code_name>" in rows["survey"]
    assert "all of the above" in rows["landing page"]
    assert names(rows["representative list"]) == set(REP_LIST_NAMES)
    # The technician list takes no prefill parameter: its view reads none (public_form_initial
    # with no names), and the table says so.
    assert names(rows["technician list"]) == {"locale"} and "none but" in rows["technician list"]


def test_the_readmes_signed_link_advice_names_the_portals_own_switches():
    """What the README tells an operator to set for signed links is what the admin and the
    command offer: the custom field's lock, in its admin words, and `--base-url`."""
    from django.utils.text import capfirst

    from portal.management.commands.portal_prefill_link import Command
    from portal.models import CustomField

    section = readme_section("Prefill links")
    lock = capfirst(str(CustomField._meta.get_field("prefill_locks").verbose_name))
    assert f"*{lock}*" in section
    options = {
        name
        for action in Command().create_parser("manage.py", "x")._actions
        for name in action.option_strings
    }
    named = set(re.findall(r"`(--[\w-]+)", section))
    assert named and named <= options


def test_make_help_says_what_every_target_does():
    """A new operator has only the repository: `make help` names every target the Makefile
    declares, each on its own line with what it does."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split()
    shown = subprocess.run(
        ["make", "-s", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    described = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^make ([\w-]+) +(\S.*)$", shown, re.MULTILINE)
    }
    assert sorted(set(targets) - {"help", *described}) == []
    assert "make help" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "page",
    [
        "README.md",
        "docs/integrations/README.md",
        "docs/integrations/zendesk.md",
        "docs/integrations/freshdesk.md",
        "docs/integrations/jira-service-management.md",
    ],
)
def test_the_signing_recipe_as_written_makes_the_portals_signature(page):
    """Someone writing their own signing code from the prose alone (a walk-through did) needs
    the separator too: the recipe, followed as written, gives the portal's `sig`."""
    import hashlib
    import hmac
    from urllib.parse import quote

    from portal.prefill import signature

    text = " ".join((ROOT / page).read_text(encoding="utf-8").split())
    separator = re.search(r"joined as `name=value` pairs with `([^`]+)`", text).group(1)
    pairs = [("name", "Zoë Ösel"), ("exp", "1796639890"), ("external_key", "INC 42/7")]
    message = separator.join(f"{quote(k, safe='-._~')}={quote(v, safe='-._~')}" for k, v in sorted(pairs))
    ours = hmac.new(b"a-secret", message.encode(), hashlib.sha256).hexdigest()
    assert ours == signature(secret="a-secret", pairs=pairs)


def test_the_readmes_try_out_says_a_second_sites_hostname_needs_allowed_hosts(settings):
    """A walk-through gave a second site a hostname and met 400 Bad Request: the try-out says
    the server answers only `DJANGO_ALLOWED_HOSTS`, names its defaults, says a restart applies
    it, and its example keeps the defaults (without them the admin itself would be refused)."""
    from portal.admin.checklist import refused_hostnames

    if "DJANGO_ALLOWED_HOSTS" in os.environ:
        pytest.skip("the environment sets DJANGO_ALLOWED_HOSTS: the defaults are not in force")
    defaults = [host for host in settings.ALLOWED_HOSTS if host != "testserver"]  # Django's test host
    section = readme_section("What the demo shows")
    assert "restart" in section
    assert all(f"`{host}`" in section for host in defaults)
    example = re.search(r"`DJANGO_ALLOWED_HOSTS=(\S+) make run`", section).group(1).split(",")
    assert set(defaults) <= set(example)
    added = [host for host in example if host not in defaults]
    assert added and refused_hostnames(added) == added
    settings.ALLOWED_HOSTS = example
    assert refused_hostnames(example) == []
