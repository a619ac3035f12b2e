"""The set-up commands `make run` and the Docker entrypoint rely on."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command, load_command_class
from django.urls import reverse

from portal.models import Backend, CustomField, Issue, Site, SiteTranslation

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_the_password_once():
    first = run("portal_demo")
    assert "created admin user 'demo' with password" in first
    counts = (
        Site.objects.count(),
        Issue.objects.count(),
        CustomField.objects.count(),
        SiteTranslation.objects.count(),
    )
    second = run("portal_demo")
    assert "with password" not in second and "exists" in second
    assert (
        (
            Site.objects.count(),
            Issue.objects.count(),
            CustomField.objects.count(),
            SiteTranslation.objects.count(),
        )
        == counts
        == (1, 4, 3, 16)
    )
    site = Site.objects.get()
    assert site.backend.kind == Backend.Kind.PREVIEW and site.is_default
    assert get_user_model().objects.get(username="demo").is_superuser
    # A global field, a per-issue field and a choice field (issue 2, item 4).
    assert CustomField.objects.get(code_name="printer_model").issues.count() == 1
    assert CustomField.objects.get(code_name="urgency").field_type == "choice"


def test_bootstrap_does_nothing_without_url(monkeypatch):
    monkeypatch.delenv("BEYONDTRUST_URL", raising=False)
    monkeypatch.delenv("TAKECONTROL_API_URL", raising=False)
    assert "nothing to do" in run("portal_bootstrap")
    assert not Backend.objects.exists()


def test_bootstrap_configures_the_default_sites_backend_idempotently(monkeypatch):
    run("portal_demo", "--no-user")
    monkeypatch.setenv("BEYONDTRUST_URL", "https://support.acme.test/")
    monkeypatch.setenv("BEYONDTRUST_CLIENT_ID", "id-1")
    monkeypatch.setenv("BEYONDTRUST_CLIENT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("BEYONDTRUST_STYLE", "legacy")
    out = run("portal_bootstrap")
    assert "s3cr3t-value" not in out
    backend = Site.objects.get(is_default=True).backend
    assert (backend.kind, backend.base_url, backend.client_id, backend.client_secret) == (
        Backend.Kind.LEGACY,
        "https://support.acme.test",
        "id-1",
        "s3cr3t-value",
    )
    monkeypatch.setenv("BEYONDTRUST_STYLE", "modern")
    run("portal_bootstrap")
    assert Backend.objects.exclude(kind=Backend.Kind.PREVIEW).count() == 1
    assert Site.objects.get(is_default=True).backend.kind == Backend.Kind.MODERN


@pytest.mark.parametrize(
    ("name", "value"), [("BEYONDTRUST_STYLE", "fancy"), ("BEYONDTRUST_URL", "http://example.com")]
)
def test_bootstrap_refuses_bad_settings(monkeypatch, name, value):
    monkeypatch.setenv("BEYONDTRUST_URL", "https://support.acme.test")
    monkeypatch.setenv(name, value)
    with pytest.raises(CommandError):
        run("portal_bootstrap")


def demo_password_is(password: str) -> bool:
    # check_password, not authenticate(): django-axes' backend refuses a sign-in without a request.
    return get_user_model().objects.get(username="demo").check_password(password)


def test_demo_banner_ends_with_the_login_every_time():
    first = run("portal_demo", "--banner", "http://127.0.0.1:8000")
    last = first.rstrip("\n").split("\n")[-3:]
    assert last[0].strip() == "Support Portal demo:  http://127.0.0.1:8000/"
    assert last[1].strip() == f"Admin:                http://127.0.0.1:8000{reverse('admin:index')}"
    password = last[2].strip().removeprefix("user 'demo', password ")
    assert password != last[2].strip() and " " not in password
    assert demo_password_is(password)
    assert first.count(password) == 1  # printed at the end only, not also further up

    second = run("portal_demo", "--banner", "http://127.0.0.1:8000")
    tail = "\n".join(second.rstrip("\n").split("\n")[-5:])
    assert "manage.py changepassword demo" in tail and "make run DEMO_PASSWORD_RESET=1" in tail
    assert "Admin:" in tail and password not in second

    third = run("portal_demo", "--banner", "http://127.0.0.1:8000", "--reset-password")
    new = third.rstrip("\n").split("\n")[-1].strip().removeprefix("user 'demo', password ")
    assert new != password
    assert demo_password_is(new)
    assert not demo_password_is(password)


def test_demo_banner_on_another_port_advises_make_run_on_that_port():
    """A walk-through on PORT=18170: the advice "make run DEMO_PASSWORD_RESET=1" would have
    served the portal on 8000 instead."""
    run("portal_demo", "--banner", "http://127.0.0.1:9000")
    again = run("portal_demo", "--banner", "http://127.0.0.1:9000")
    assert "new random one: make run PORT=9000 DEMO_PASSWORD_RESET=1" in again
    assert "make run DEMO_PASSWORD_RESET=1" not in again


def test_demo_without_banner_still_prints_a_new_password():
    output = run("portal_demo")
    assert "created admin user 'demo' with password" in output and "(shown only this once)" in output


# ------------------------------------------------------------------------------
# portal_prefill_link: a signed link from the command line
# ------------------------------------------------------------------------------
def prefill_link(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("portal_prefill_link", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.fixture
def demo_site():
    run("portal_demo", "--no-user")
    site = Site.objects.get()
    site.prefill_secret = "help-desk-secret"
    site.save()
    return site


def test_prefill_link_command_signs_what_the_form_takes(demo_site, settings):
    from urllib.parse import urlsplit

    from portal import prefill

    link, note = prefill_link("external_key=INC0012345", "name=Jane Doe")
    url = urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("", "", "/survey/")  # the demo site has no hostname
    assert "--base-url" in note
    assert prefill.verified_values(secret="help-desk-secret", query=url.query) == {
        "external_key": "INC0012345",
        "name": "Jane Doe",
    }
    link, note = prefill_link("--flow", "key", "--base-url", "http://127.0.0.1:8101/", "key=123 4567")
    assert link.startswith("http://127.0.0.1:8101/key/?") and note == ""
    demo_site.hostnames.create(hostname="help.example.com")
    link, note = prefill_link("--flow", "key", "key=1234567")
    assert link.startswith("http://help.example.com/key/?") and note == ""  # PORTAL_HTTPS=false
    settings.HTTPS = True
    link, note = prefill_link("--flow", "key", "key=1234567")
    assert link.startswith("https://help.example.com/key/?") and note == ""


def test_prefill_link_command_and_api_open_the_same_pages(demo_site):
    """`--flow` and the API's `flow` name the same pages (an operator found `home` in the
    command only); a home link opens the landing page, whose key form it locks."""
    from urllib.parse import urlsplit

    from portal import prefill
    from portal.api import openapi_document

    parser = load_command_class("portal", "portal_prefill_link").create_parser(
        "manage.py", "portal_prefill_link"
    )
    [choices] = [action.choices for action in parser._actions if "--flow" in action.option_strings]
    api_flows = openapi_document()["components"]["schemas"]["PrefillLinkRequest"]["properties"]["flow"][
        "enum"
    ]
    assert sorted(choices) == sorted(api_flows) == ["home", "key", "survey"]
    link, _note = prefill_link("--flow", "home", "--base-url", "http://127.0.0.1:8101", "external_key=INC-1")
    url = urlsplit(link)
    assert url.path == "/" and prefill.verified_values(secret="help-desk-secret", query=url.query) == {
        "external_key": "INC-1"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--flow", "key", "key=12"), "key: A session key has 7 characters; you entered 2."),
        (("issue=nope",), "issue: Please choose one of the listed topics."),
        (("--flow", "home", "key=abc"), "key: A session key has only digits."),
        (("--flow", "home", "issue=nope"), "issue: Please choose one of the listed topics."),
        # An integrator's walk-through: an expired link printed with exit 0, and an 11-year one.
        (("--hours", "-1", "name=Jane"), "--hours: from one minute"),
        (("--hours", "100000", "name=Jane"), "--hours: from one minute"),
    ],
)
def test_prefill_link_command_refuses_a_value_the_form_would_refuse(demo_site, args, message):
    with pytest.raises(CommandError, match=message):
        prefill_link(*args)


def test_prefill_link_command_refuses_a_link_the_server_could_not_open(demo_site):
    """The API's rule (tests/test_api.py): a link whose request line is over what the shipped
    gunicorn takes would only ever get its bare 414."""
    long_values = ("details=" + "%" * 1024, "external_key=" + "x" * 1024)  # each at its most
    with pytest.raises(CommandError, match=r"request line of 4247 bytes .* takes at most 4094\."):
        prefill_link(*long_values)
    link, _note = prefill_link("details=" + "%" * 1024, "external_key=" + "x" * 800)
    assert len(link) < 4094
