"""The set-up commands `make run` and the Docker entrypoint rely on."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.models import Backend, CustomField, Issue, Site, SiteTranslation

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_the_password_once():
    first = run("portal_demo")
    assert "created admin user 'demo' with password" in first
    counts = (Site.objects.count(), Issue.objects.count(), CustomField.objects.count(),
              SiteTranslation.objects.count())
    second = run("portal_demo")
    assert "with password" not in second and "exists" in second
    assert (Site.objects.count(), Issue.objects.count(), CustomField.objects.count(),
            SiteTranslation.objects.count()) == counts == (1, 4, 3, 16)
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
        Backend.Kind.LEGACY, "https://support.acme.test", "id-1", "s3cr3t-value")
    monkeypatch.setenv("BEYONDTRUST_STYLE", "modern")
    run("portal_bootstrap")
    assert Backend.objects.exclude(kind=Backend.Kind.PREVIEW).count() == 1
    assert Site.objects.get(is_default=True).backend.kind == Backend.Kind.MODERN


@pytest.mark.parametrize(("name", "value"), [("BEYONDTRUST_STYLE", "fancy"), ("BEYONDTRUST_URL", "http://example.com")])
def test_bootstrap_refuses_bad_settings(monkeypatch, name, value):
    monkeypatch.setenv("BEYONDTRUST_URL", "https://support.acme.test")
    monkeypatch.setenv(name, value)
    with pytest.raises(CommandError):
        run("portal_bootstrap")
