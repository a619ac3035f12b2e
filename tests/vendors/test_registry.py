"""The adapter registry (docs/decisions/0055-vendor-adapters-and-registry.md): every backend kind
has an adapter, and no code outside `portal/vendors/` decides by comparing kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from portal.models import Backend
from portal.vendors.base import VendorAdapter
from portal.vendors.registry import ADAPTERS, adapter_for, kinds_of

ROOT = Path(__file__).resolve().parents[2]

# A kind compared in code (`backend.kind == ...`, `kind in {...}`, `Backend.Kind.X` next to a
# comparison) or in a template (`.kind == "takecontrol"`). Setting a kind (`kind=Backend.Kind.X`),
# the field's choices and filters on it are data, not decisions.
COMPARISONS = (
    re.compile(r"\.kind\s*(==|!=|\bin\b|\bnot\s+in\b)"),
    re.compile(r"(==|!=|\bin\b)\s*[({\[]?[^\n#]*\bKind\.[A-Z]"),
    re.compile(r"\bKind\.[A-Z]+\w*\s*(==|!=|\bin\b)"),
)


def kind_comparisons(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in COMPARISONS)]


def sources_outside_vendors() -> list[Path]:
    code = [
        path
        for path in (ROOT / "portal").rglob("*.py")
        if "vendors" not in path.relative_to(ROOT / "portal").parts[:1] and "migrations" not in path.parts
    ]
    return code + list((ROOT / "templates").rglob("*.html"))


def test_every_kind_has_an_adapter_of_that_kind():
    assert set(ADAPTERS) == set(Backend.Kind.values)
    for kind, adapter in ADAPTERS.items():
        assert issubclass(adapter, VendorAdapter) and adapter.kind == kind
        assert isinstance(adapter_for(Backend(kind=kind)), adapter)


def test_the_environments_vendor_names_map_to_kinds():
    assert kinds_of("BeyondTrust") == [Backend.Kind.MODERN, Backend.Kind.LEGACY]
    assert kinds_of("Take Control") == [Backend.Kind.TAKECONTROL]
    assert kinds_of("Nobody") == []


def test_an_unknown_kind_has_no_adapter():
    with pytest.raises(LookupError):
        adapter_for(Backend(kind="teamviewer"))


def test_no_code_outside_the_vendors_package_compares_backend_kinds():
    found = {
        str(path.relative_to(ROOT)): hits
        for path in sources_outside_vendors()
        if (hits := kind_comparisons(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "line",
    [
        "if backend.kind == Backend.Kind.TAKECONTROL:",
        "if site.backend.kind in {Backend.Kind.MODERN, Backend.Kind.LEGACY}:",
        "reuse=lambda b: b.kind != Backend.Kind.PREVIEW,",
        'if backend.kind != "takecontrol":',
        '{% if site.backend.kind == "takecontrol" %}',
        "preview = Backend.Kind.PREVIEW == kind",
        "x = 1 if kind in (Backend.Kind.LEGACY,) else 2",
    ],
)
def test_the_scan_finds_a_kind_comparison(line):
    assert kind_comparisons(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        "kind=Backend.Kind.PREVIEW,",
        "choices=Backend.Kind.choices,",
        'list_filter = ["kind"]',
        "adapter = backend.adapter",
        "backend_kind=site.backend.kind,",
    ],
)
def test_the_scan_leaves_data_alone(line):
    assert kind_comparisons(line) == []


def test_an_unknown_kind_posted_in_admin_is_a_field_error_not_a_crash(admin_client, site):
    backend = site.backend
    response = admin_client.post(
        reverse("admin:portal_backend_change", args=[backend.pk]),
        {"name": backend.name, "kind": "teamviewer", "base_url": backend.base_url},
    )
    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
