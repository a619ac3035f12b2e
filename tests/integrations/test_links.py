"""The guides' prefill-link snippets, run as their platform would run them, make links the
portal accepts for every page a signed link may open (`prefill.LINK_PAGES`): every value the
page takes shown locked, and the start carries them to the vendor; a tampered link locks
nothing (docs/integrations/README.md)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from portal import prefill
from tests.integrations.conftest import (
    PREFILL_SECRET,
    REQUESTER,
    assert_link_locks,
    assert_link_locks_nothing,
    page_takes,
)
from tests.integrations.snippets import GUIDES, PORTAL_URL, SHIMS, needs_node, query_names, run_node, write
from tests.parsed_html import element

COVERED = {
    "zendesk.md": {"zendesk-main.js", "manifest.json", "iframe.html"},
    "servicenow.md": {"servicenow-portal-link.js", "servicenow-mail-script.js"},
    "freshdesk.md": {"freshdesk-server.js", "freshdesk-app.js", "iparams.json"},
    "jira-service-management.md": {"jsm-index.mjs", "forge-variables.sh", "manifest.yml"},
    "README.md": {"sign-prefill-link.sh"},
}

pytestmark = [pytest.mark.django_db, needs_node]

# Every page a signed link may open (the API's `flow`, the command's --flow).
FLOWS = list(prefill.LINK_PAGES)
# What each guide's code signs from its ticket: the platform's ticket number, the requester.
TICKETS = {
    "zendesk.md": "4711",
    "servicenow.md": "INC0012345",
    "freshdesk.md": "815",
    "jira-service-management.md": "HELP-42",
    "README.md": "INC0012346",  # the shell recipe for any other system
}


def lifetime(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query))["exp"]) - int(time.time())


def tampered(url: str) -> str:
    """The link with its ticket number changed and its signature kept."""
    changed = re.sub(r"(external_key=[^&]+)", r"\g<1>9", url, count=1)
    assert changed != url
    return changed


def link_in(text: str) -> str:
    found = re.search(r"https://[^\s\"<]+", text)
    assert found, text
    return found.group(0)


# ------------------------------------------------------------------------------
# Each guide's code, run as its platform runs it: the link it makes for a ticket, and what
# the platform saw (the guide's own settings choose the page: `flow`).
# ------------------------------------------------------------------------------
def zendesk_link(tmp_path, flow: str, *, secret: str = PREFILL_SECRET) -> tuple[str, dict]:
    write(tmp_path, "zendesk.md", "zendesk-main.js")
    result = run_node(
        SHIMS / "zendesk.js",
        str(tmp_path / "zendesk-main.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": secret,
            "PORTAL_FLOW": flow,
            "TICKET_ID": TICKETS["zendesk.md"],
            "REQUESTER_NAME": REQUESTER,
        },
    )
    [(action, text)] = result["invoked"]
    assert action == "comment.appendText"
    return link_in(text), result


def servicenow_link(tmp_path, flow: str, *, now_ms=None) -> tuple[str, dict]:
    write(tmp_path, "servicenow.md", "servicenow-portal-link.js", "servicenow-mail-script.js")
    number = TICKETS["servicenow.md"]
    result = run_node(
        SHIMS / "servicenow.js",
        "link",
        str(tmp_path / "servicenow-portal-link.js"),
        str(tmp_path / "servicenow-mail-script.js"),
        stdin=json.dumps(
            {
                "properties": {
                    "x_acme_portal.url": PORTAL_URL + "/",
                    "x_acme_portal.prefill_secret": PREFILL_SECRET,
                    "x_acme_portal.flow": flow,
                },
                "tables": {
                    "incident": [{"number": number, "caller_id": "a1b2c3", "caller_id.display": REQUESTER}]
                },
                "number": number,
                **({"now_ms": now_ms} if now_ms is not None else {}),
            }
        ),
    )
    [printed] = result["printed"]
    return html.unescape(link_in(printed)), result


def freshdesk_link(tmp_path, flow: str) -> tuple[str, dict]:
    write(tmp_path, "freshdesk.md", "freshdesk-server.js", "freshdesk-app.js")
    result = run_node(
        SHIMS / "freshdesk.js",
        str(tmp_path / "freshdesk-server.js"),
        str(tmp_path / "freshdesk-app.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": PREFILL_SECRET,
            "PORTAL_FLOW": flow,
            "TICKET_ID": TICKETS["freshdesk.md"],
            "REQUESTER_NAME": REQUESTER,
        },
    )
    [(action, options)] = result["triggered"]
    assert action == "click" and options["id"] == "reply"
    return link_in(options["text"]), result


def forge_env(help_desk, **more: str) -> dict[str, str]:
    return {
        "PORTAL_URL": PORTAL_URL,
        "PORTAL_PREFILL_SECRET": PREFILL_SECRET,
        "PORTAL_WEBHOOK_SECRET": "unused-here",
        "FAKE_JIRA_URL": help_desk.base_url,
        **more,
    }


def jsm_link(forge_app, help_desk, flow: str) -> tuple[str, dict]:
    key = TICKETS["jira-service-management.md"]
    run_node(
        forge_app / "jsm.mjs",
        str(forge_app / "jsm-index.mjs"),
        "link",
        env=forge_env(help_desk, PORTAL_FLOW=flow),
        stdin=json.dumps(
            {"event": {"issue": {"key": key, "fields": {"reporter": {"displayName": REQUESTER}}}}}
        ),
    )
    [call] = help_desk.calls(f"/rest/servicedeskapi/request/{key}/comment")
    assert call.method == "POST"
    return link_in(call.json["body"]), call.json


def shell_sign(tmp_path, flow: str, values: dict[str, str], *, secret: str = PREFILL_SECRET) -> dict:
    """Runs the README's shell recipe as its text says: {link} or, when it refuses, {error}."""
    write(tmp_path, "README.md", "sign-prefill-link.sh")
    completed = subprocess.run(
        ["sh", str(tmp_path / "sign-prefill-link.sh"), flow, *(f"{k}={v}" for k, v in values.items())],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "PORTAL_URL": PORTAL_URL, "PREFILL_SECRET": secret},
    )
    if completed.returncode:
        assert completed.stderr.strip() and not completed.stdout, completed
        return {"error": completed.stderr.strip()}
    return {"link": completed.stdout.strip()}


def shell_link(tmp_path, flow: str, *, secret: str = PREFILL_SECRET) -> str:
    result = shell_sign(
        tmp_path, flow, {"external_key": TICKETS["README.md"], "name": REQUESTER}, secret=secret
    )
    assert "link" in result, result
    return result["link"]


def guide_link(request, guide: str, flow: str) -> str:
    tmp_path = request.getfixturevalue("tmp_path")
    if guide == "README.md":
        return shell_link(tmp_path, flow)
    if guide == "zendesk.md":
        return zendesk_link(tmp_path, flow)[0]
    if guide == "servicenow.md":
        return servicenow_link(tmp_path, flow)[0]
    if guide == "freshdesk.md":
        return freshdesk_link(tmp_path, flow)[0]
    help_desk = request.getfixturevalue("help_desk")
    return jsm_link(request.getfixturevalue("forge_app"), help_desk, flow)[0]


# ------------------------------------------------------------------------------
# Every guide, every page a link may open
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("guide", list(TICKETS))
def test_each_guides_link_opens_each_page_with_its_values_locked(request, client, signing_site, guide, flow):
    """The guide's link for the page its settings name is accepted there: the values that page
    takes are shown locked (on the home page, in its key form and on the survey it leads to),
    a start carries them whatever is posted, and a value the page does not take (the name on
    the key page) is not in the link."""
    link = guide_link(request, guide, flow)
    ticket = {"external_key": TICKETS[guide], "name": REQUESTER}
    assert_link_locks(client, link, {k: v for k, v in ticket.items() if page_takes(flow, k)}, flow=flow)
    assert 3 * 24 * 3600 - 60 < lifetime(link) <= 3 * 24 * 3600


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("guide", list(TICKETS))
def test_each_guides_tampered_link_locks_nothing(request, client, signing_site, guide, flow):
    assert_link_locks_nothing(client, tampered(guide_link(request, guide, flow)), flow=flow)


SIGN_NAMES = [*prefill.BUILT_IN, "cf_asset_tag", "cf_", "locale", "exp", "sig", "redirect"]
SIGN_CASES: list[dict[str, Any]] = [
    {"flow": flow, "values": {name: REQUESTER}}
    for flow in [*FLOWS, "reps", "survey/../admin"]
    for name in SIGN_NAMES
] + [{"flow": flow, "values": {"external_key": "4711", "name": ""}} for flow in FLOWS]
# Sorted by the name alone: as text, `cf_a1=…` comes before `cf_a=…`.
SIGN_CASES += [{"flow": "survey", "values": {"cf_a1": "1", "cf_a": "2", "company_code": "3", "company": "4"}}]


def signed_by_guide(request, guide: str, cases: list[dict[str, Any]] = SIGN_CASES) -> list[dict]:
    """What the guide's signing function makes of each case (SIGN_CASES unless given): {link}
    or {error}."""
    tmp_path = request.getfixturevalue("tmp_path")
    env = {"PORTAL_URL": PORTAL_URL, "PREFILL_SECRET": PREFILL_SECRET}
    stdin = json.dumps(
        {
            "cases": cases,
            "properties": {"x_acme_portal.url": PORTAL_URL, "x_acme_portal.prefill_secret": PREFILL_SECRET},
        }
    )
    if guide == "README.md":
        return [shell_sign(tmp_path, case["flow"], case["values"]) for case in cases]
    if guide == "zendesk.md":
        write(tmp_path, guide, "zendesk-main.js")
        result = run_node(
            SHIMS / "zendesk.js", str(tmp_path / "zendesk-main.js"), "sign", env=env, stdin=stdin
        )
    elif guide == "freshdesk.md":
        write(tmp_path, guide, "freshdesk-server.js")
        result = run_node(
            SHIMS / "freshdesk.js", str(tmp_path / "freshdesk-server.js"), "sign", env=env, stdin=stdin
        )
    elif guide == "servicenow.md":
        write(tmp_path, guide, "servicenow-portal-link.js")
        result = run_node(
            SHIMS / "servicenow.js", "sign", str(tmp_path / "servicenow-portal-link.js"), stdin=stdin
        )
    else:
        forge_app = request.getfixturevalue("forge_app")
        env = forge_env(request.getfixturevalue("help_desk"))
        result = run_node(
            forge_app / "jsm.mjs", str(forge_app / "jsm-index.mjs"), "sign", env=env, stdin=stdin
        )
    return result["results"]


@pytest.mark.parametrize("guide", list(TICKETS))
def test_each_guides_signing_follows_the_portals_rules(request, guide):
    """The guide's signing function knows every page a link may open and nothing else, signs
    what the portal verifies, keeps only what the page takes and refuses a name that is no
    prefill parameter (`locale`, `exp`, `sig`, a typo), as `prefill.sign_prefill` does."""
    problems = []
    for case, result in zip(SIGN_CASES, signed_by_guide(request, guide), strict=True):
        flow, values = case["flow"], case["values"]
        what = f"{flow} {values}"
        if flow not in prefill.LINK_PAGES or not all(map(prefill.is_prefill_name, values)):
            if "error" not in result:
                problems.append(f"{what}: signed {result['link']}, the portal has no such page or name")
            continue
        if "error" in result:
            problems.append(f"{what}: refused ({result['error']})")
            continue
        link = result["link"]
        if urlsplit(link).path != reverse(prefill.LINK_PAGES[flow]):
            problems.append(f"{what}: opens {urlsplit(link).path}")
        locked = prefill.verified_values(secret=PREFILL_SECRET, query=urlsplit(link).query)
        wanted = {k: v for k, v in values.items() if v and page_takes(flow, k)}
        if locked != wanted or "exp" not in query_names(link):
            problems.append(f"{what}: the portal verifies {locked} in {link}")
    assert problems == []


def request_line(flow: str, values: dict[str, str]) -> int:
    """The portal's own count (`prefill.request_line_length`) of a link to `flow` locking
    `values`, as any signer makes it in this century (a 10-digit `exp`)."""
    query = prefill.sign_prefill(secret=PREFILL_SECRET, values=values, expires_at=2_000_000_000)
    return prefill.request_line_length(flow=flow, query=query)


def long_link_cases() -> list[dict[str, Any]]:
    """A ticket's values with a description that fits to the byte, one byte more, a long one in
    several scripts, and values too long without the description, on each page."""
    ticket = {"external_key": "INC0012345", "name": REQUESTER}
    cases: list[dict[str, Any]] = []
    for flow in FLOWS:
        one = request_line(flow, {**ticket, "details": "a"})
        fits = "a" * (1 + prefill.REQUEST_LINE_MAX - one)
        cases += [
            {"flow": flow, "values": {**ticket, "details": fits}},
            {"flow": flow, "values": {**ticket, "details": fits + "a"}},
            {
                "flow": flow,
                "values": {**ticket, "details": "Der Drucker druckt leere Seiten – 紙が白い. " * 60},
            },
            {"flow": flow, "values": {**ticket, "details": "short", "external_key": "K" * 4000}},
            {"flow": flow, "values": {**ticket, "cf_asset_tag": "Ä" * 700}},
        ]
    return cases


@pytest.mark.parametrize("guide", list(TICKETS))
def test_each_guides_link_fits_the_servers_request_line(request, guide):
    """A link the portal's server would refuse with a bare 414 is never made: a description
    (`details`) too long for the link is left out, whole, and the rest still locked; a link too
    long without it is an error that says the limit, as the API's refusal does
    (docs/decisions/0121-prefill-links-fit-the-servers-request-line.md)."""
    problems = []
    seen = set()
    cases = long_link_cases()
    for case, result in zip(cases, signed_by_guide(request, guide, cases), strict=True):
        flow, values = case["flow"], case["values"]
        taken = {k: v for k, v in values.items() if page_takes(flow, k)}
        if request_line(flow, taken) > prefill.REQUEST_LINE_MAX:
            taken.pop("details", None)
        what = f"{flow} { ({k: len(v) for k, v in values.items()}) }"
        if request_line(flow, taken) > prefill.REQUEST_LINE_MAX:
            seen.add("refused")
            query = prefill.sign_prefill(secret=PREFILL_SECRET, values=taken, expires_at=2_000_000_000)
            if result.get("error") != prefill.link_too_long(flow=flow, query=query):  # the API's words
                problems.append(f"{what}: {result}, the portal's server would refuse it")
            continue
        seen.add("details kept" if "details" in taken else "details left out")
        if "error" in result:
            problems.append(f"{what}: refused ({result['error']})")
            continue
        query = urlsplit(result["link"]).query
        locked = prefill.verified_values(secret=PREFILL_SECRET, query=query)
        length = prefill.request_line_length(flow=flow, query=query)
        if locked != taken or length > prefill.REQUEST_LINE_MAX:
            problems.append(f"{what}: {length} bytes locking {sorted(locked)}, not {sorted(taken)}")
    assert problems == []
    assert seen == {"details kept", "details left out", "refused"}


def test_the_shell_recipes_example_command_makes_the_link_it_promises(client, signing_site, tmp_path):
    """The index's example command, as printed (the secret where it says `...`), prints a link
    that opens the survey with both values locked for 3 days."""
    text = " ".join((GUIDES / "README.md").read_text(encoding="utf-8").split())
    [command] = re.findall(r"`(PORTAL_URL=\S+ PREFILL_SECRET=\.\.\. sh sign-prefill-link\.sh [^`]+)`", text)
    assert "opens the survey with both values locked for 3 days" in text
    write(tmp_path, "README.md", "sign-prefill-link.sh")
    completed = subprocess.run(
        ["sh", "-c", command.replace("PREFILL_SECRET=...", f"PREFILL_SECRET='{PREFILL_SECRET}'")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert completed.returncode == 0, completed.stderr
    link = completed.stdout.strip()
    assert_link_locks(client, link, {"external_key": "INC0012345", "name": "Jane Doe"})
    assert 3 * 24 * 3600 - 60 < lifetime(link) <= 3 * 24 * 3600


def test_the_shell_recipes_long_link_opens_on_the_portal(client, signing_site, tmp_path):
    """The description left out, the link opens with the ticket locked and the description for
    the customer to write."""
    details = "The printer on the third floor prints blank pages. " * 80
    link = shell_sign(
        tmp_path, "survey", {"external_key": "INC0012346", "name": REQUESTER, "details": details}
    )
    assert "details" not in query_names(link["link"])
    assert_link_locks(client, link["link"], {"external_key": "INC0012346", "name": REQUESTER})


# ------------------------------------------------------------------------------
# What each platform does with the link
# ------------------------------------------------------------------------------
def test_zendesk_app_inserts_the_link_on_a_click(tmp_path):
    link, result = zendesk_link(tmp_path, "survey")
    assert result["handlers"] == ["insert-portal-link:click"]
    assert query_names(link) == ["exp", "external_key", "name", "sig"]


def test_zendesk_app_tells_the_agent_why_it_made_no_link(tmp_path):
    """A requester's name too long for any link: the agent sees the portal's reason in a
    Zendesk notice, and nothing is put into the reply."""
    write(tmp_path, "zendesk.md", "zendesk-main.js")
    result = run_node(
        SHIMS / "zendesk.js",
        str(tmp_path / "zendesk-main.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": PREFILL_SECRET,
            "PORTAL_FLOW": "survey",
            "TICKET_ID": TICKETS["zendesk.md"],
            "REQUESTER_NAME": "Zoë " * 1000,
        },
    )
    [(action, message, kind)] = result["invoked"]
    assert (action, kind) == ("notify", "error")
    assert (
        message.startswith("The link is too long to open")
        and f"at most {prefill.REQUEST_LINE_MAX}" in message
    )


def test_zendesk_link_with_a_wrong_secret_locks_nothing(client, signing_site, tmp_path):
    for flow in FLOWS:
        assert_link_locks_nothing(
            client, zendesk_link(tmp_path, flow, secret="not-the-site-secret")[0], flow=flow
        )


def test_servicenow_mail_script_prints_the_link(tmp_path):
    link, result = servicenow_link(tmp_path, "survey")
    assert query_names(link) == ["exp", "external_key", "name", "sig"]
    [printed] = result["printed"]
    assert (
        html.unescape(
            re.fullmatch(
                r'<p>To let us see your screen, <a href="([^"]+)">start a remote support session</a>\.</p>',
                printed,
            ).group(1)
        )
        == link
    )


def test_servicenow_link_expires_by_the_instance_clock(client, signing_site, tmp_path):
    link = servicenow_link(tmp_path, "survey", now_ms=(int(time.time()) - 4 * 24 * 3600) * 1000)[0]
    assert lifetime(link) < 0
    form = client.get(link.removeprefix(PORTAL_URL)).context["form"]
    assert not form.fields["external_key"].disabled  # expired: editable


def test_servicenow_scripts_are_plain_es5(tmp_path):
    """ServiceNow's server-side engine runs ES5: no arrow functions, let/const, classes,
    template literals or spread in the guide's scripts."""
    from tests.integrations.snippets import snippet

    for title in (
        "servicenow-portal-link.js",
        "servicenow-mail-script.js",
        "servicenow-signature.js",
        "servicenow-webhook.js",
    ):
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", snippet("servicenow.md", title), flags=re.S)
        code = re.sub(r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'", '""', code)
        for construct in ("=>", "`", "...", "?.", "??"):
            assert construct not in code, f"{title} uses {construct}"
        assert not re.search(r"\b(let|const|class|async|await|of)\b\s", code), title


def test_servicenow_script_includes_stand_alone():
    """The instance loads a Script Include when a script first calls the function it is named
    after: each include defines that one function and nothing beside it, so it needs no helper
    of another include (which a REST request would not have loaded)."""
    from tests.integrations.snippets import snippet

    for title in ("servicenow-portal-link.js", "servicenow-signature.js"):
        code = snippet("servicenow.md", title)
        [name] = re.findall(r'Script Include "(\w+)"', code)
        assert re.findall(r"^function (\w+)", code, re.M) == [name], title
        guide = " ".join((GUIDES / "servicenow.md").read_text(encoding="utf-8").split())
        assert re.search(rf"Script Include\**( named)? `{name}`", guide), f"the guide does not name {name}"


def test_freshdesk_app_opens_the_reply_with_the_link(tmp_path):
    link, result = freshdesk_link(tmp_path, "survey")
    assert result["handlers"] == ["app.activated"]
    assert query_names(link) == ["exp", "external_key", "name", "sig"]


def test_jsm_trigger_comments_the_link_publicly(forge_app, help_desk):
    link, comment = jsm_link(forge_app, help_desk, "survey")
    assert comment["public"] is True
    assert query_names(link) == ["exp", "external_key", "name", "sig"]


def test_jsm_trigger_fails_loudly_when_jira_refuses(forge_app, help_desk):
    """A comment Jira refused is an error Forge logs and retries, not a silent success."""
    import subprocess

    from tests.integrations.snippets import NODE

    help_desk.state["fail"] = 1
    completed = subprocess.run(
        [NODE, str(forge_app / "jsm.mjs"), str(forge_app / "jsm-index.mjs"), "link"],
        input=json.dumps({"event": {"issue": {"key": "HELP-1", "fields": {"reporter": None}}}}),
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **forge_env(help_desk)},
    )
    assert completed.returncode != 0 and "JSM answered 500" in completed.stderr


def test_the_guides_name_the_settings_their_scripts_read():
    """What an admin is told to configure is what the code reads."""
    from tests.integrations.snippets import snippet

    manifest = json.loads(snippet("zendesk.md", "manifest.json"))
    parameters = {p["name"]: p for p in manifest["parameters"]}
    assert set(parameters) == {"portal_url", "prefill_secret", "portal_flow"}
    assert parameters["portal_flow"]["default"] in FLOWS
    main = snippet("zendesk.md", "zendesk-main.js")
    assert set(re.findall(r"settings\.(\w+)", main)) == set(parameters)
    assert 'id="insert-portal-link"' in snippet("zendesk.md", "iframe.html")
    iparams = json.loads(snippet("freshdesk.md", "iparams.json"))
    assert iparams["prefill_secret"]["secure"] is True
    assert iparams["portal_flow"]["options"] == FLOWS and iparams["portal_flow"]["default_value"] in FLOWS
    [read] = re.findall(r"const \{([^}]*)\} = args\.iparams", snippet("freshdesk.md", "freshdesk-server.js"))
    assert set(iparams) == {name.strip() for name in read.split(",")}
    variables = dict(
        re.findall(
            r"forge variables set (?:--encrypt )?(\w+) (\S+)",
            snippet("jira-service-management.md", "forge-variables.sh"),
        )
    )
    assert variables["PORTAL_FLOW"] in FLOWS
    index = snippet("jira-service-management.md", "jsm-index.mjs")
    assert set(variables) == set(re.findall(r"process\.env\.(\w+)", index))
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load(snippet("jira-service-management.md", "manifest.yml"))
    handlers = {f["handler"] for f in manifest["modules"]["function"]}
    assert handlers == {
        f"index.{name}" for name in re.findall(r"^export async function (on\w+)", index, re.M)
    }
    servicenow = "".join(
        snippet("servicenow.md", t)
        for t in ("servicenow-portal-link.js", "servicenow-mail-script.js", "servicenow-webhook.js")
    )
    properties = set(re.findall(r'gs\.getProperty\("([\w.]+)"', servicenow))
    assert properties == {
        "x_acme_portal.url",
        "x_acme_portal.prefill_secret",
        "x_acme_portal.flow",
        "x_acme_portal.webhook_secret",
    }
    guide = (GUIDES / "servicenow.md").read_text(encoding="utf-8")
    assert [name for name in sorted(properties) if f"`{name}`" not in guide] == []


def test_shell_link_with_a_wrong_secret_locks_nothing(client, signing_site, tmp_path):
    for flow in FLOWS:
        assert_link_locks_nothing(client, shell_link(tmp_path, flow, secret="not-the-site-secret"), flow=flow)


def help_text(html_text: str, name: str) -> str:
    """The help line the field `name` points to (aria-describedby)."""
    described = element(html_text, "input", name=name).attrs["aria-describedby"]
    return element(html_text, id=described).text


def test_the_note_a_locked_field_shows_is_the_one_the_index_quotes(client, signing_site, tmp_path):
    """The index tells an integrator to look for a note under each locked field: the shell
    recipe's link shows it under both values, and a link tampered with shows it nowhere."""
    index = " ".join((GUIDES / "README.md").read_text(encoding="utf-8").split())
    note = re.search(r"Each locked field says \*([^*]+)\* under it", index).group(1)
    link = shell_link(tmp_path, "survey")
    locked = client.get(link.removeprefix(PORTAL_URL)).content.decode()
    assert [help_text(locked, name) for name in ("name", "external_key")] == [note, note]
    editable = client.get(tampered(link).removeprefix(PORTAL_URL)).content.decode()
    assert note not in editable
