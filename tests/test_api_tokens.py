"""API tokens: shown once, stored hashed, revocable, last use noted
(docs/decisions/0028-api-token-hashing.md)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from portal.caching import SITE_CACHE_VERSION_KEY
from portal.models import ApiToken, Backend, Site
from portal.tokens import authenticate_token, create_api_token, revoke_api_token

TOKEN_RE = re.compile(r"sp_[A-Za-z0-9_-]{43}")


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("portal_token", *args, stdout=out)
    return out.getvalue()


def test_token_is_random_and_stored_only_as_hash_and_prefix(site):
    first = create_api_token(site=site, name="Zendesk")
    second = create_api_token(site=site, name="Zendesk")
    assert TOKEN_RE.fullmatch(first.secret) and first.secret != second.secret
    stored = ApiToken.objects.get(pk=first.token.pk)
    assert stored.token_hash == hashlib.sha256(first.secret.encode()).hexdigest()
    assert stored.prefix == first.secret[:10]
    row = ApiToken.objects.filter(pk=stored.pk).values().get()
    assert not any(first.secret in str(value) for value in row.values())


def test_authenticate_accepts_the_token_and_refuses_everything_else(site):
    new = create_api_token(site=site, name="Bot")
    assert authenticate_token(new.secret) == new.token
    assert authenticate_token(new.secret + "x") is None
    assert authenticate_token(new.secret[3:]) is None  # without the sp_ prefix
    assert authenticate_token("sp_" + "a" * 200) is None
    assert revoke_api_token(token=new.token)
    assert authenticate_token(new.secret) is None
    assert not revoke_api_token(token=new.token)  # once is enough: the first time stays


def test_last_used_is_written_at_most_once_a_minute(site, django_assert_num_queries):
    new = create_api_token(site=site, name="Bot")
    start = timezone.now()
    authenticate_token(new.secret, now=start)
    assert ApiToken.objects.get().last_used_at == start
    with django_assert_num_queries(0):  # from the memo (tests below), and no write
        authenticate_token(new.secret, now=start + timedelta(seconds=59))
    assert ApiToken.objects.get().last_used_at == start
    later = start + timedelta(seconds=61)
    authenticate_token(new.secret, now=later)
    assert ApiToken.objects.get().last_used_at == later


# --- The per-process memo (docs/decisions/0053-api-token-memo.md) ------------------------------------
def test_a_known_token_is_served_from_the_memo_without_the_database(site, django_assert_num_queries):
    new = create_api_token(site=site, name="Bot")
    first = authenticate_token(new.secret)
    with django_assert_num_queries(0):
        again = authenticate_token(new.secret)
    assert again == first and again.site == site and again.site.backend == site.backend
    # Each caller gets instances of its own: changing one changes nothing for the next request.
    again.site.name = "Changed in one request"
    with django_assert_num_queries(0):
        assert authenticate_token(new.secret).site.name == "Acme Support"
    # An unknown secret is looked up every time (and refused), never remembered.
    with django_assert_num_queries(1):
        assert authenticate_token(new.secret[:-1] + "x") is None


def test_revoking_a_memoised_token_refuses_it_on_the_next_lookup(site, django_assert_num_queries):
    new = create_api_token(site=site, name="Bot")
    assert authenticate_token(new.secret) is not None
    revoke_api_token(token=ApiToken.objects.get())  # another instance, as admin or the command has
    with django_assert_num_queries(1):  # the memo missed: the database says "revoked"
        assert authenticate_token(new.secret) is None


def test_deleting_a_memoised_token_refuses_it(site):
    new = create_api_token(site=site, name="Bot")
    assert authenticate_token(new.secret) is not None
    ApiToken.objects.get().delete()
    assert authenticate_token(new.secret) is None


def test_a_change_to_the_tokens_site_or_backend_is_seen_on_the_next_lookup(site):
    new = create_api_token(site=site, name="Bot")
    assert authenticate_token(new.secret).site.prefill_secret == ""
    changed = Site.objects.get(pk=site.pk)
    changed.prefill_secret = "new-secret"
    changed.save()
    assert authenticate_token(new.secret).site.prefill_secret == "new-secret"
    backend = Backend.objects.get(pk=site.backend_id)
    backend.client_secret = "rotated"
    backend.save()
    assert authenticate_token(new.secret).site.backend.client_secret == "rotated"
    token = ApiToken.objects.get()
    token.name = "Renamed"
    token.save()
    assert authenticate_token(new.secret).name == "Renamed"


def test_api_refuses_a_revoked_token_on_the_very_next_request(client, site):
    new = create_api_token(site=site, name="Bot")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {new.secret}"}
    assert client.get("/api/v1/reps", **auth).status_code == 403  # known (no appliance): memoised
    assert client.get("/api/v1/reps", **auth).status_code == 403
    call_command("portal_token", "--revoke", new.token.prefix, stdout=StringIO())
    response = client.get("/api/v1/reps", **auth)
    assert response.status_code == 401 and "invalid_token" in response["WWW-Authenticate"]


def test_a_lost_site_version_is_a_new_one_and_the_memo_misses(site, django_assert_num_queries):
    new = create_api_token(site=site, name="Bot")
    authenticate_token(new.secret)
    cache.delete(SITE_CACHE_VERSION_KEY)  # evicted, or the cache restarted
    with django_assert_num_queries(1):
        assert authenticate_token(new.secret) is not None


def test_api_request_notes_last_use(client, site):
    new = create_api_token(site=site, name="Bot")
    client.get("/api/v1/reps", HTTP_AUTHORIZATION=f"Bearer {new.secret}")
    assert ApiToken.objects.get().last_used_at is not None


# --- Admin ----------------------------------------------------------------------------------------
def test_admin_shows_the_token_once_after_add_and_never_again(admin_client, site):
    response = admin_client.post(
        reverse("admin:portal_apitoken_add"), {"name": "Zendesk", "site": site.pk}, follow=True
    )
    page = response.content.decode()
    secrets_shown = TOKEN_RE.findall(page)
    assert len(set(secrets_shown)) == 1
    secret = secrets_shown[0]
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert authenticate_token(secret) == token

    for url in (
        reverse("admin:portal_apitoken_changelist"),
        reverse("admin:portal_apitoken_change", args=[token.pk]),
        reverse("admin:portal_apitoken_history", args=[token.pk]),
    ):
        later = admin_client.get(url).content.decode()
        assert secret not in later and token.token_hash not in later
        assert token.prefix in later
    assert secret not in admin_client.get(reverse("admin:index")).content.decode()  # the message is gone


def test_admin_list_columns_and_revoke_action(admin_client, site):
    new = create_api_token(site=site, name="Freshdesk")
    page = admin_client.get(reverse("admin:portal_apitoken_changelist")).content.decode()
    for column in (
        "column-prefix",
        "column-site",
        "column-created_at",
        "column-last_used_at",
        "column-revoked_at",
    ):
        assert column in page
    response = admin_client.post(
        reverse("admin:portal_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [new.token.pk]},
        follow=True,
    )
    assert "1 API token revoked." in response.content.decode()
    assert ApiToken.objects.get().revoked_at is not None
    assert authenticate_token(new.secret) is None


def test_admin_lists_tokens_by_status_in_words(admin_client, site):
    create_api_token(site=site, name="Live")
    gone = create_api_token(site=site, name="Gone")
    ApiToken.objects.filter(pk=gone.token.pk).update(revoked_at=timezone.now())
    url = reverse("admin:portal_apitoken_changelist")
    page = admin_client.get(url).content.decode()
    assert "By status" in page and "Not empty" not in page
    names = lambda query: [t.name for t in admin_client.get(url, query).context["cl"].result_list]  # noqa: E731
    assert names({"status": "active"}) == ["Live"]
    assert names({"status": "revoked"}) == ["Gone"]
    assert sorted(names({})) == ["Gone", "Live"]
    german = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Aktiv" in german and "Widerrufen" in german


def test_admin_change_form_cannot_edit_secret_fields(admin_client, site):
    new = create_api_token(site=site, name="Bot")
    admin_client.post(
        reverse("admin:portal_apitoken_change", args=[new.token.pk]),
        {"name": "Renamed", "token_hash": "0" * 64, "revoked_at": ""},
    )
    token = ApiToken.objects.get()
    assert token.name == "Renamed" and token.token_hash == new.token.token_hash


# --- Management command ---------------------------------------------------------------------------
def test_command_creates_a_token_by_site_name_or_pk_and_prints_it_once(site):
    output = run("--site", "acme support", "--name", "Zendesk")
    secrets_printed = TOKEN_RE.findall(output)
    assert len(secrets_printed) == 1
    token = ApiToken.objects.get()
    assert token.site == site and token.name == "Zendesk"
    assert authenticate_token(secrets_printed[0]) == token

    run("--site", str(site.pk))
    assert ApiToken.objects.count() == 2


def test_command_lists_without_secrets_and_revokes_by_prefix(site):
    new = create_api_token(site=site, name="Zendesk")
    listing = run("--list")
    assert new.token.prefix in listing and "Zendesk" in listing and "never" in listing
    assert new.secret not in listing and new.token.token_hash not in listing

    assert "Revoked" in run("--revoke", new.token.prefix)
    assert authenticate_token(new.secret) is None
    assert "already revoked" in run("--revoke", new.token.prefix)
    assert "revoked" in run("--list")


def test_command_refuses_unknown_site_and_prefix(site):
    with pytest.raises(CommandError, match="No site"):
        run("--site", "Nope")
    with pytest.raises(CommandError, match="No API token"):
        run("--revoke", "sp_missing")


# --- The token's name (docs/decisions/0116-chat-handoff-computer-name.md) -------------------------
UNSHOWABLE_NAME = (
    "This name contains a character no one can see or read, such as an invisible or control "
    "character or a line break. Please retype it."
)
# What no one sees or reads in a name: an admin's list would show two tokens alike, and a chat
# hand-off without a computer name would send it to the representative's console.
UNSHOWABLE_NAMES = [
    "Zen\u200bdesk",  # a zero-width space
    "\u202eksednez",  # a bidirectional override
    "Zendesk\nEU",  # a line break
    "Zendesk\x07",  # a control character
    "\ue000Bot",  # a private-use character
    "Desk\ufeff",  # a byte order mark
    "***\u200b",  # a zero-width space in a label of symbols alone
]
# Names an admin may choose: symbols, emoji, any script, a joiner where Persian needs it.
LABELS = ["***", "🤖", "Zendesk (EU) #2", "チャットボット", "مهدی\u200cزاده", "👩\u200d💻 desk"]


@pytest.mark.parametrize("name", UNSHOWABLE_NAMES)
def test_admin_refuses_a_token_name_no_one_can_see_or_read(admin_client, site, name):
    response = admin_client.post(reverse("admin:portal_apitoken_add"), {"name": name, "site": site.pk})
    assert response.status_code == 200  # the form again
    assert response.context["adminform"].form.errors["name"] == [UNSHOWABLE_NAME]
    assert not ApiToken.objects.exists()
    assert not TOKEN_RE.search(response.content.decode())


@pytest.mark.parametrize("name", LABELS)
def test_admin_takes_a_token_name_of_symbols_or_any_script(admin_client, site, name):
    admin_client.post(reverse("admin:portal_apitoken_add"), {"name": name, "site": site.pk})
    assert ApiToken.objects.get().name == name


def test_admin_says_why_a_token_name_is_refused_in_the_admins_language(admin_client, site):
    response = admin_client.post(
        reverse("admin:portal_apitoken_add"),
        {"name": "Zen\u200bdesk", "site": site.pk},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    # The page as sent (the form's errors are lazy: read after the request, they are English).
    assert (
        "この名前には、誰にも見えない、または読めない文字（不可視文字、制御文字、改行など）が"
        "含まれています。もう一度入力し直してください。"
    ) in response.content.decode()
    assert UNSHOWABLE_NAME not in response.content.decode()


def test_admin_refuses_renaming_a_token_to_a_name_no_one_can_read(admin_client, site):
    token = create_api_token(site=site, name="Zendesk").token
    url = reverse("admin:portal_apitoken_change", args=[token.pk])
    response = admin_client.post(url, {"name": "Zen\u200bdesk"})
    assert response.context["adminform"].form.errors["name"] == [UNSHOWABLE_NAME]
    assert ApiToken.objects.get().name == "Zendesk"
    admin_client.post(url, {"name": "Zendesk EU"})
    assert ApiToken.objects.get().name == "Zendesk EU"


@pytest.mark.parametrize("name", UNSHOWABLE_NAMES)
def test_command_refuses_a_token_name_no_one_can_see_or_read(site, name):
    with pytest.raises(CommandError) as refused:
        run("--site", str(site.pk), "--name", name)
    assert str(refused.value) == f"--name: {UNSHOWABLE_NAME}"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", UNSHOWABLE_NAMES)
def test_the_service_refuses_a_token_name_no_one_can_see_or_read(site, name):
    """create_api_token holds a name to the admin's and the command's rule, for any caller."""
    with pytest.raises(ValidationError) as refused:
        create_api_token(site=site, name=name)
    assert refused.value.messages == [UNSHOWABLE_NAME]
    assert not ApiToken.objects.exists()
    assert create_api_token(site=site, name="Zendesk EU").token.name == "Zendesk EU"


def test_command_refuses_a_token_name_over_100_characters_rather_than_cutting_it(site):
    with pytest.raises(CommandError) as refused:
        run("--site", str(site.pk), "--name", "x" * 101)
    assert str(refused.value) == "--name: at most 100 characters, not 101."
    assert not ApiToken.objects.exists()
    run("--site", str(site.pk), "--name", " " + "x" * 100 + " ")
    assert ApiToken.objects.get().name == "x" * 100


@pytest.mark.parametrize("name", LABELS)
def test_command_takes_a_token_name_of_symbols_or_any_script(site, name):
    assert TOKEN_RE.search(run("--site", str(site.pk), "--name", name))
    assert ApiToken.objects.get().name == name


def test_command_names_a_token_without_a_name_api_token(site):
    run("--site", str(site.pk), "--name", "   ")
    assert ApiToken.objects.get().name == "API token"
