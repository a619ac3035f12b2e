"""The admin is registered explicitly: `portal/admin/__init__.py` imports one module per area,
each registers its own models, and nothing else registers a portal model."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

import portal.admin
from portal import models

pytestmark = pytest.mark.django_db

PACKAGE = Path(portal.admin.__file__).parent
TESTS = Path(__file__).resolve().parents[1]

# Which module registers which model: one home per area.
EXPECTED = {
    models.Site: "portal.admin.sites",
    models.CustomField: "portal.admin.sites",
    models.Backend: "portal.admin.backends",
    models.Issue: "portal.admin.issues",
    models.ApiToken: "portal.admin.integrations",
    models.StartRequest: "portal.admin.start_records",
}


def portal_registry() -> dict:
    return {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "portal"
    }


def test_the_portal_app_and_the_admin_are_installed():
    assert "portal" in settings.INSTALLED_APPS and "django.contrib.admin" in settings.INSTALLED_APPS


def test_each_portal_model_admin_lives_in_its_area_module():
    registry = portal_registry()
    assert {model: type(model_admin).__module__ for model, model_admin in registry.items()} == EXPECTED


def test_every_registering_module_is_imported_by_the_package():
    """A module that registers but is not imported in __init__ would depend on import order."""
    registering = set()
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        source = (PACKAGE / f"{info.name}.py").read_text()
        if "@admin.register(" in source or "admin.site.register(" in source:
            registering.add(info.name)
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "portal.admin"
        for alias in node.names
    }
    assert registering and registering <= imported


def test_admin_code_calls_no_vendor_client():
    """The admin goes through portal.appliance (and services/selectors), never a vendor package."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                assert not name.startswith("portal.vendors"), f"{path.name} imports {name}"


def test_tests_do_not_hard_code_the_admin_path():
    """DJANGO_ADMIN_URL moves the admin: tests reach it through reverse("admin:...")."""
    literal = re.compile(r"""["']/admin/""")
    found = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line) and "default admin path" not in line
    ]
    assert found == []


def folded(response) -> dict[str, list[str]]:
    """The change page's collapsed fieldsets: heading -> field names, from the response context."""
    groups = {}
    for fieldset in response.context["adminform"]:
        if "collapse" in fieldset.classes:
            groups[str(fieldset.name)] = [
                field.field["name"] if isinstance(field.field, dict) else field.field.name
                for line in fieldset
                for field in line
            ]
    return groups


def test_rarely_changed_settings_are_folded_under_advanced(admin_client, backend, site, issues):
    page = admin_client.get(reverse("admin:portal_backend_change", args=[backend.pk]))
    assert folded(page)["Advanced"] == ["allow_letters_in_key", "prompts_before_download", "send_platform"]
    assert "client_id" not in sum(folded(page).values(), [])  # the credentials stay in view
    page = admin_client.get(reverse("admin:portal_issue_change", args=[issues["printing"].pk]))
    assert folded(page)["Advanced"] == ["skills", "chat_locale"]
    page = admin_client.get(reverse("admin:portal_site_change", args=[site.pk]))
    assert folded(page)["Advanced"] == [
        "prefill_secret",
        "generate_prefill_secret",
        "clear_prefill_secret",
        "keep_personal_data",
        "retention_days",
    ]
    start = models.StartRequest.objects.create(
        site=site, flow="key", backend_kind=backend.kind, outcome="started", customer_data={"name": "Ann"}
    )
    page = admin_client.get(reverse("admin:portal_startrequest_change", args=[start.pk]))
    assert folded(page)["Advanced"] == ["backend_kind", "customer_data"]
