"""Admin actions ask for the permissions their effect needs, not only for a view of the list.

Django offers an action without `permissions` to everyone who may see the changelist, and runs
it on a POST from them. A staff member who may only view backends must not import issues (they
reach customers' issue menus at once) nor run *Test connection* (it writes the backend's kept
result and calls the appliance with its stored secret)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import Issue, Site
from tests.admin.test_view_only_secrets import viewer
from tests.parsed_html import elements

pytestmark = pytest.mark.django_db


def offered(client) -> list[str]:
    page = client.get(reverse("admin:portal_backend_changelist")).content.decode()
    menus = elements(page, "select", name="action")
    return [
        option.attrs["value"]
        for menu in menus
        for option in elements(menu, "option")
        if option.attrs["value"]
    ]


def post_action(client, action: str, backend):
    return client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": action, "_selected_action": [backend.pk]},
        follow=True,
    )


def test_a_backend_viewer_is_offered_no_action_and_a_posted_one_does_nothing(client, appliance_backend, fake):
    site = Site.objects.create(name="Acme Support", backend=appliance_backend)
    limited = viewer(client, "view_backend")
    assert offered(limited) == []
    for action in ("import_issues", "test_connection"):
        post_action(limited, action, appliance_backend)
    assert not Issue.objects.filter(site=site).exists()
    appliance_backend.refresh_from_db()
    assert appliance_backend.connection_checked_at is None
    assert fake.calls() == []


def test_importing_needs_adding_and_changing_issues_and_testing_needs_changing_the_backend(
    client, appliance_backend
):
    Site.objects.create(name="Acme Support", backend=appliance_backend)
    assert offered(viewer(client, "change_backend", username="tester")) == ["test_connection"]
    importer = viewer(client, "view_backend", "add_issue", "change_issue", username="importer")
    assert offered(importer) == ["import_issues"]


def test_an_issue_editor_who_may_view_backends_imports_issues(client, appliance_backend):
    site = Site.objects.create(name="Acme Support", backend=appliance_backend)
    editor = viewer(client, "view_backend", "add_issue", "change_issue")
    post_action(editor, "import_issues", appliance_backend)
    assert sorted(Issue.objects.filter(site=site).values_list("code_name", flat=True)) == ["printing", "vpn"]
