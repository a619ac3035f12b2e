"""The guides' prefill-link snippets, run as their platform would run them, make links the
portal accepts: every value shown locked, and the start carries them to the vendor
(docs/integrations/README.md)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.integrations.conftest import PREFILL_SECRET, REQUESTER, Inputs, assert_link_locks
from tests.integrations.snippets import PORTAL_URL, SHIMS, needs_node, query_names, run_node, write

COVERED = {
    "zendesk.md": {"zendesk-main.js", "manifest.json", "iframe.html"},
    "servicenow.md": {"servicenow-portal-link.js", "servicenow-mail-script.js"},
    "freshdesk.md": {"freshdesk-server.js", "freshdesk-app.js", "iparams.json"},
    "jira-service-management.md": {"jsm-index.mjs", "forge-variables.sh", "manifest.yml"},
}

pytestmark = [pytest.mark.django_db, needs_node]


def lifetime(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query))["exp"]) - int(time.time())


def test_zendesk_app_inserts_a_link_the_portal_locks(client, signing_site, tmp_path):
    write(tmp_path, "zendesk.md", "zendesk-main.js")
    result = run_node(
        SHIMS / "zendesk.js",
        str(tmp_path / "zendesk-main.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": PREFILL_SECRET,
            "TICKET_ID": "4711",
            "REQUESTER_NAME": REQUESTER,
        },
    )
    assert result["handlers"] == ["insert-portal-link:click"]
    [(action, text)] = result["invoked"]
    assert action == "comment.appendText"
    link = re.search(r"https://\S+", text).group(0)
    assert urlsplit(link).path == "/survey/"
    assert query_names(link) == ["exp", "external_key", "name", "sig"]
    assert 3 * 24 * 3600 - 60 < lifetime(link) <= 3 * 24 * 3600
    assert_link_locks(client, link, {"external_key": "4711", "name": REQUESTER})


def test_zendesk_link_with_a_wrong_secret_locks_nothing(client, signing_site, tmp_path):
    write(tmp_path, "zendesk.md", "zendesk-main.js")
    result = run_node(
        SHIMS / "zendesk.js",
        str(tmp_path / "zendesk-main.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": "not-the-site-secret",
            "TICKET_ID": "4711",
            "REQUESTER_NAME": REQUESTER,
        },
    )
    link = re.search(r"https://\S+", result["invoked"][0][1]).group(0)
    response = client.get(link.removeprefix(PORTAL_URL))
    html = response.content.decode()
    inputs = Inputs(html).inputs
    for name in ("external_key", "name"):  # still ordinary, editable prefills
        assert "readonly" not in inputs[name] and "disabled" not in inputs[name], name
    assert inputs["external_key"]["value"] == "4711"
    assert inputs["signed"].get("value", "") == ""  # nothing signed is carried to the POST
    assert not re.search(r"pf[0-9a-f]{16}", html)  # no slot marker of a compiled page


def servicenow_link(tmp_path, *, number="INC0012345", caller=REQUESTER, now_ms=None) -> dict:
    write(tmp_path, "servicenow.md", "servicenow-portal-link.js", "servicenow-mail-script.js")
    return run_node(
        SHIMS / "servicenow.js",
        "link",
        str(tmp_path / "servicenow-portal-link.js"),
        str(tmp_path / "servicenow-mail-script.js"),
        stdin=json.dumps(
            {
                "properties": {
                    "x_acme_portal.url": PORTAL_URL + "/",
                    "x_acme_portal.prefill_secret": PREFILL_SECRET,
                },
                "tables": {
                    "incident": [{"number": number, "caller_id": "a1b2c3", "caller_id.display": caller}]
                },
                "number": number,
                **({"now_ms": now_ms} if now_ms is not None else {}),
            }
        ),
    )


def test_servicenow_script_include_and_mail_script_make_a_link_the_portal_locks(
    client, signing_site, tmp_path
):
    result = servicenow_link(tmp_path)
    link = result["link"]
    assert query_names(link) == ["exp", "external_key", "name", "sig"]
    [printed] = result["printed"]
    assert (
        re.fullmatch(
            r'<p>To let us see your screen, <a href="([^"]+)">start a remote support session</a>\.</p>',
            printed,
        ).group(1)
        == link
    )
    assert_link_locks(client, link, {"external_key": "INC0012345", "name": REQUESTER})


def test_servicenow_link_expires_by_the_instance_clock(client, signing_site, tmp_path):
    link = servicenow_link(tmp_path, now_ms=(int(time.time()) - 4 * 24 * 3600) * 1000)["link"]
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


def test_freshdesk_app_and_serverless_function_make_a_link_the_portal_locks(client, signing_site, tmp_path):
    write(tmp_path, "freshdesk.md", "freshdesk-server.js", "freshdesk-app.js")
    result = run_node(
        SHIMS / "freshdesk.js",
        str(tmp_path / "freshdesk-server.js"),
        str(tmp_path / "freshdesk-app.js"),
        env={
            "PORTAL_URL": PORTAL_URL,
            "PREFILL_SECRET": PREFILL_SECRET,
            "TICKET_ID": "815",
            "REQUESTER_NAME": REQUESTER,
        },
    )
    assert result["handlers"] == ["app.activated"]
    [(action, options)] = result["triggered"]
    assert action == "click" and options["id"] == "reply"
    link = re.search(r"https://\S+", options["text"]).group(0)
    assert_link_locks(client, link, {"external_key": "815", "name": REQUESTER})


def forge_env(help_desk) -> dict[str, str]:
    return {
        "PORTAL_URL": PORTAL_URL,
        "PORTAL_PREFILL_SECRET": PREFILL_SECRET,
        "PORTAL_WEBHOOK_SECRET": "unused-here",
        "FAKE_JIRA_URL": help_desk.base_url,
    }


def test_jsm_trigger_comments_a_link_the_portal_locks(client, signing_site, forge_app, help_desk):
    run_node(
        forge_app / "jsm.mjs",
        str(forge_app / "jsm-index.mjs"),
        "link",
        env=forge_env(help_desk),
        stdin=json.dumps(
            {
                "event": {"issue": {"key": "HELP-42", "fields": {"reporter": {"displayName": REQUESTER}}}},
                "values": {"external_key": "HELP-42"},
            }
        ),
    )
    [call] = help_desk.calls("/rest/servicedeskapi/request/HELP-42/comment")
    assert call.method == "POST" and call.json["public"] is True
    link = re.search(r"https://\S+", call.json["body"]).group(0)
    assert_link_locks(client, link, {"external_key": "HELP-42", "name": REQUESTER})


def test_jsm_trigger_fails_loudly_when_jira_refuses(forge_app, help_desk):
    """A comment Jira refused is an error Forge logs and retries, not a silent success."""
    import subprocess

    from tests.integrations.snippets import NODE

    help_desk.state["fail"] = 1
    completed = subprocess.run(
        [NODE, str(forge_app / "jsm.mjs"), str(forge_app / "jsm-index.mjs"), "link"],
        input=json.dumps({"event": {"issue": {"key": "HELP-1", "fields": {"reporter": None}}}, "values": {}}),
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
    assert {p["name"] for p in manifest["parameters"]} == {"portal_url", "prefill_secret"}
    main = snippet("zendesk.md", "zendesk-main.js")
    assert "settings.portal_url" in main and "settings.prefill_secret" in main
    assert 'id="insert-portal-link"' in snippet("zendesk.md", "iframe.html")
    iparams = json.loads(snippet("freshdesk.md", "iparams.json"))
    assert iparams["prefill_secret"]["secure"] is True
    assert set(iparams) == set(
        re.findall(r"args\.iparams\.(\w+)", snippet("freshdesk.md", "freshdesk-server.js"))
    )
    variables = re.findall(
        r"forge variables set (?:--encrypt )?(\w+)",
        snippet("jira-service-management.md", "forge-variables.sh"),
    )
    index = snippet("jira-service-management.md", "jsm-index.mjs")
    assert set(variables) == set(re.findall(r"process\.env\.(\w+)", index))
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load(snippet("jira-service-management.md", "manifest.yml"))
    handlers = {f["handler"] for f in manifest["modules"]["function"]}
    assert handlers == {
        f"index.{name}" for name in re.findall(r"^export async function (on\w+)", index, re.M)
    }
    servicenow = "".join(
        snippet("servicenow.md", t) for t in ("servicenow-portal-link.js", "servicenow-webhook.js")
    )
    assert set(re.findall(r'gs\.getProperty\("([\w.]+)"', servicenow)) == {
        "x_acme_portal.url",
        "x_acme_portal.prefill_secret",
        "x_acme_portal.webhook_secret",
    }
