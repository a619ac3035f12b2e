"""`createsuperuser` holds DJANGO_SUPERUSER_PASSWORD to the password validators with `--noinput`
as at the prompt (portal/accounts/management/commands/createsuperuser.py; README, "Passwords")."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent
GOOD = "tall-Horse-battery-9"


def manage(data_dir: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it: its own process, its own database (SQLite in
    `data_dir`, whatever DATABASE_URL and CACHE_URL the suite runs with), only these
    DJANGO_/PORTAL_ variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update({"DJANGO_DEBUG": "true", "PORTAL_DATA_DIR": str(data_dir), **env_vars})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_manage_py_createsuperuser_noinput_refuses_a_short_password_and_takes_a_good_one(tmp_path):
    assert manage(tmp_path, "migrate", "--no-input", "-v0").returncode == 0
    refused = manage(
        tmp_path,
        "createsuperuser",
        "--noinput",
        "--username",
        "root",
        "--email",
        "root@example.com",
        DJANGO_SUPERUSER_PASSWORD="short",
    )
    assert refused.returncode != 0
    assert "DJANGO_SUPERUSER_PASSWORD" in refused.stderr
    assert "This password is too short. It must contain at least 12 characters." in refused.stderr
    database = tmp_path / "portal.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from auth_user").fetchone() == (0,)

    created = manage(
        tmp_path,
        "createsuperuser",
        "--noinput",
        DJANGO_SUPERUSER_USERNAME="root",
        DJANGO_SUPERUSER_EMAIL="root@example.com",
        DJANGO_SUPERUSER_PASSWORD=GOOD,
    )
    assert created.returncode == 0, created.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("select username, is_superuser from auth_user").fetchall() == [("root", 1)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("x7-Kq", "This password is too short. It must contain at least 12 characters."),
        ("", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("739184620573", "This password is entirely numeric."),
        ("operator-example-com", "The password is too similar to the email address."),
        ("operator12345", "The password is too similar to the username."),
    ],
)
def test_createsuperuser_noinput_refuses_what_the_validators_refuse(monkeypatch, password, message):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "operator@example.com")
    with pytest.raises(CommandError) as refused:
        call_command("createsuperuser", interactive=False, username="operator", stdout=StringIO())
    assert message in str(refused.value)
    assert not password or password not in str(refused.value)  # the password is never echoed
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_createsuperuser_noinput_with_a_good_password_creates_the_superuser(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", GOOD)
    out = StringIO()
    call_command(
        "createsuperuser", interactive=False, username="operator", email="op@example.com", stdout=out
    )
    user = get_user_model().objects.get()
    assert (user.username, user.is_superuser, user.check_password(GOOD)) == ("operator", True, True)
    assert "Superuser created successfully." in out.getvalue()


@pytest.mark.django_db
def test_createsuperuser_noinput_without_a_password_still_makes_an_unusable_one(monkeypatch):
    """As in Django: no password to check, and none that signs in (`changepassword` sets one)."""
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    call_command("createsuperuser", interactive=False, username="operator", email="", stdout=StringIO())
    assert not get_user_model().objects.get().has_usable_password()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_createsuperuser_at_the_prompt_is_djangos_own(monkeypatch):
    """The prompt still says what is wrong and asks again (Django's own path, unchanged)."""
    answers = iter(["short", "short", GOOD, GOOD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("builtins.input", lambda prompt="": "N")  # "Bypass password validation?"
    err = StringIO()
    call_command(
        "createsuperuser",
        username="operator",
        email="op@example.com",
        stdin=Terminal(),
        stdout=StringIO(),
        stderr=err,
    )
    assert "This password is too short." in err.getvalue()
    assert get_user_model().objects.get().check_password(GOOD)
