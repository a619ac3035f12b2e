"""A NUL byte, which PostgreSQL's text refuses with an error, never turns a request into a 500
(docs/decisions/0090-no-nul-reaches-postgresql.md). These pass trivially on SQLite, which stores
NUL; CI runs them on PostgreSQL too (`make test-services`)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from portal.sessions import SessionStore
from tests.conftest import form_data

pytestmark = pytest.mark.django_db

NUL = "a%00b"
PASSWORD = "correct horse battery staple"

# Every public page and JSON answer with a NUL where a client can put one: the query (known
# parameters and unknown), the path.
PUBLIC_URLS = [
    f"/?lang={NUL}",
    f"/?issue={NUL}",
    f"/?name={NUL}&external_key={NUL}&exp={NUL}&sig={NUL}",
    f"/key/?key={NUL}",
    f"/survey/?issue={NUL}&{NUL}={NUL}",
    f"/reps/?rep={NUL}",
    f"/reps.json?{NUL}={NUL}",
    f"/technicians/?rep={NUL}",
    f"/button/availability.json?site={NUL}",
    f"/theme.css?v={NUL}",
    f"/media/logos/{NUL}.png",
    f"/key/{NUL}",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_urls(client, site, issues, url):
    assert client.get(url).status_code < 500


def test_admin_login_page(client, site):
    assert client.get(reverse("admin:login"), {"next": reverse("admin:index")}).status_code == 200
    assert client.get(reverse("admin:login") + f"?next={NUL}").status_code == 400  # as every admin query


@pytest.mark.parametrize("path", ["/key/", "/survey/"])
def test_public_forms(client, site, issues, path):
    fields = {"key": "123\x004567", "issue": "print\x00ing", "name": "Jane\x00", "problem": "\x00"}
    response = client.post(path, form_data(**fields))
    assert response.status_code == 200  # the form again, with its messages
    assert "Location" not in response


def test_a_session_key_of_characters_django_never_makes_is_no_key(client, site):
    assert SessionStore("abcdefgh12345678\x00").session_key is None
    assert SessionStore("abcdefgh12345678-").session_key is None
    made = SessionStore()
    made.create()
    assert SessionStore(made.session_key).session_key == made.session_key
    # A quoted cookie value's octal escape is a NUL once Django has read the cookie.
    client.cookies["sessionid"] = "abcdefgh12345678\x00"
    for path in ("/", "/key/", "/survey/", reverse("admin:login")):
        assert client.get(path).status_code == 200, path


@pytest.fixture
def superuser(client):
    user = get_user_model().objects.create_superuser("alice", "alice@example.com", PASSWORD)
    return user


def test_admin_login(client, superuser):
    for username, password in (("al\x00ice", PASSWORD), ("alice", "wrong\x00")):
        response = client.post(reverse("admin:login"), {"username": username, "password": password})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


def filter_parameters(model_admin, user) -> list[str]:
    """Every query parameter the list's filters take, as the admin's own change list names them."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    return [name for spec in changelist.filter_specs for name in spec.expected_parameters()]


def test_every_admin_list_refuses_a_nul_in_any_parameter(client, site, superuser):
    """The admin's filters on text and choice fields pass their values to the query as they come:
    a NUL there is refused with a 400 before any list is built (portal.middleware.AdminQueryMiddleware)."""
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        parameters = ["q", "o", "p", "id__exact", "a\x00b", *filter_parameters(model_admin, superuser)]
        for name in parameters:
            response = client.get(changelist, {name: "a\x00b"})
            assert response.status_code == 400, (changelist, name)
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=["a\x00b"])
        assert client.get(change).status_code < 500, change
    export = reverse("admin:portal_startrequest_export")
    assert client.get(export, {"outcome__exact": "a\x00b"}).status_code == 400
    assert client.get(export, {"outcome__exact": "started"}).status_code == 200


def test_api_bearer_token(client, site):
    for method, path in (
        ("GET", "/api/v1/reps"),
        ("POST", "/api/v1/session-keys"),
        ("POST", "/api/v1/prefill-links"),
    ):
        response = client.generic(
            method, path, b"{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer sp_a\x00b"
        )
        assert response.status_code == 401, path
