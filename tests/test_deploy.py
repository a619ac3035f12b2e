"""Production safety: deployment checks, probes, framing and cookies."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "support.example.com",
            "PORTAL_DATA_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_and_readyz_answer_any_host(client):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").json() == {"status": "ok"}
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_broken_cache(client, settings):
    # pytest-django's settings fixture resets the cache handlers on change.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"


@pytest.mark.django_db
def test_admin_refuses_framing(client):
    response = client.get(reverse("admin:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_customer_pages_frame_only_for_allowed_origins_and_set_no_cookies(client, site):
    response = client.get("/")
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    site.frame_ancestors = "https://help.example.com\nhttps://desk.example.org"
    site.save()
    for path in ("/", "/key/", "/survey/"):
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        assert "frame-ancestors https://help.example.com https://desk.example.org" in csp
        assert "form-action 'self' https://support.example.com" in csp
        assert "X-Frame-Options" not in response
        assert not response.cookies, f"{path} set a cookie"


def run_manage(tmp_path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    """manage.py with production settings and only these DJANGO_/PORTAL_ variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_ALLOWED_HOSTS": "support.example.com",
            "PORTAL_DATA_DIR": str(tmp_path),
            **env_vars,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_without_a_secret_key_refuses_to_migrate(tmp_path):
    """Without DJANGO_SECRET_KEY the settings fall back to a key printed in this repository:
    anyone could sign a Take Control queue page's applet link or a form's timestamp. The image's
    entrypoint and `make serve` migrate first, so production stops there, saying why."""
    result = run_manage(tmp_path, "migrate", "--no-input")
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr
    assert "Applying" not in result.stdout  # nothing migrated


def test_check_deploy_flags_the_embedded_secret_key_on_plain_http_too(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", PORTAL_HTTPS="false")
    assert result.returncode != 0
    assert "portal.E001" in result.stderr


def test_the_local_demo_and_a_real_key_are_not_refused(tmp_path):
    assert run_manage(tmp_path, "check", DJANGO_DEBUG="true").returncode == 0
    assert run_manage(tmp_path, "check", PORTAL_HTTPS="false").returncode == 0
    # A fresh clone's own commands (README: portal_token, portal_prefill_link) on its default
    # hosts, this machine's names only: a try-out nobody else can reach by name.
    local = run_manage(tmp_path, "check", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,[::1]")
    assert local.returncode == 0, local.stderr
    # Any public name, or "*", is production again.
    for hosts in ("127.0.0.1,support.example.com", "*"):
        assert "portal.E001" in run_manage(tmp_path, "check", DJANGO_ALLOWED_HOSTS=hosts).stderr
    result = run_manage(tmp_path, "check", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr


# A request under the production settings, in a process of its own: the folders are read once,
# when the settings are. It prints the folders, then each status. WhiteNoise answers before
# the Host is checked: a file it serves is 200, any other path the 400 of a Host the portal
# does not serve, which needs no database.
# WhiteNoise as the portal's middleware stack builds it, asked for each path: what it serves
# ("served") or hands on to Django ("passed"). No page is drawn, so no collected static files
# (their manifest) are needed.
STATIC_REQUESTS = (
    "-c",
    "import sys, django\n"
    "django.setup()\n"
    "from django.conf import settings\n"
    "from django.test import RequestFactory\n"
    "from whitenoise.middleware import WhiteNoiseMiddleware\n"
    "print(settings.DATA_DIR, settings.CACHE_DIR, settings.STATIC_ROOT, settings.MEDIA_ROOT)\n"
    "whitenoise = WhiteNoiseMiddleware(lambda request: None)\n"
    "for path in sys.argv[1:]:\n"
    "    print('passed' if whitenoise(RequestFactory().get(path)) is None else 'served')\n",
)


def test_an_empty_folder_variable_is_its_default_not_the_working_directory(tmp_path):
    """.env.example leaves DJANGO_STATIC_ROOT and DJANGO_MEDIA_ROOT empty ("default: ...").
    Read as they were, an empty one was Path(""), the working directory: as STATIC_ROOT,
    WhiteNoise served the whole checkout under /static/ (the source, .env with the secret key,
    the SQLite database with every credential); both empty, the portal did not start (Django
    refuses one folder for both)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    paths = ["/static/pyproject.toml", "/static/.env.example", "/static/portal/settings.py"]
    (tmp_path / "data").mkdir()
    for empty in (["DJANGO_STATIC_ROOT"], ["DJANGO_STATIC_ROOT", "DJANGO_MEDIA_ROOT"]):
        result = subprocess.run(
            [sys.executable, *STATIC_REQUESTS, *paths],
            cwd=ROOT,
            env={**env, "PORTAL_DATA_DIR": str(tmp_path / "data"), **dict.fromkeys(empty, "")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        folders, *statuses = result.stdout.split("\n")[:-1]
        assert statuses == ["passed"] * len(paths), empty  # none of them served
        assert folders.split() == [
            str(tmp_path / "data"),
            str(tmp_path / "data" / "cache"),
            str(ROOT / "staticfiles"),
            str(tmp_path / "data" / "media"),
        ], empty
    # PORTAL_DATA_DIR and PORTAL_CACHE_DIR empty: the defaults too, not the working directory.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.DATA_DIR, settings.CACHE_DIR)",
        ],
        cwd=ROOT,
        env={**env, "PORTAL_DATA_DIR": "", "PORTAL_CACHE_DIR": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(ROOT / "data"), str(ROOT / "data" / "cache")]


@pytest.mark.parametrize("empty", ["DATABASE_URL", "PORTAL_TIME_ZONE", "PORTAL_LOG_LEVEL"])
def test_an_empty_database_url_time_zone_or_log_level_is_its_default(tmp_path, empty):
    """Each stopped the start with a traceback naming none of them: KeyError 'ENGINE',
    "ZoneInfo keys must be normalized relative paths", "Unable to configure root logger"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PORTAL_DATA_DIR=str(tmp_path),
        **{empty: ""},
    )
    code = (
        "import django, logging\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.utils import timezone\n"
        "print(settings.DATABASES['default']['NAME'], timezone.get_default_timezone_name(),\n"
        "      logging.getLevelName(logging.getLogger().level))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "portal.sqlite3"), "UTC", "INFO"]


def test_a_lower_case_log_level_sets_the_root_logger(tmp_path):
    """`PORTAL_LOG_LEVEL=debug`, as gunicorn's own level is spelt, stopped every command with
    "Unable to configure root logger"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_DATA_DIR=str(tmp_path), PORTAL_LOG_LEVEL="debug"
    )
    code = "import django, logging\ndjango.setup()\nprint(logging.getLevelName(logging.getLogger().level))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEBUG"]


# A webhook URL may carry its receiver's credential (an Azure Logic Apps trigger's `sig=`, a
# Slack-style token in the path); urllib3 logs each request's path and query at DEBUG.
URL_IN_THE_LOG = """
import django, http.server, logging, threading, requests
django.setup()

class Quiet(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 18152), Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
requests.post("http://127.0.0.1:18152/workflows/hook?sig=receivers-url-credential", data=b"{}", timeout=10)
server.shutdown()
logging.getLogger("portal").debug("a debug line of the portal's own")
"""


def test_at_debug_the_log_carries_no_webhook_urls_credential(tmp_path):
    """README: at no level does the log carry a credential. At PORTAL_LOG_LEVEL=debug urllib3
    wrote every delivery's path and query ("POST /workflows/hook?sig=… HTTP/1.1"); the
    portal's own debug lines still show."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_DATA_DIR=str(tmp_path), PORTAL_LOG_LEVEL="debug"
    )
    result = subprocess.run(
        [sys.executable, "-c", URL_IN_THE_LOG], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "a debug line of the portal's own" in result.stderr
    assert "receivers-url-credential" not in result.stderr and "/workflows/hook" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "DATABASE_URL",
            "//portal:pa55word@db.internal:5432/portal",
            "DATABASE_URL names no database; it must begin with postgres:// "
            "(postgres://USER:PASSWORD@HOST:5432/NAME) or sqlite:/// (sqlite:////srv/portal/portal.sqlite3).",
        ),
        # Without its scheme, the user name (or the host) reads as one; a scheme misspelt:
        # Django's "'portal' isn't an available database backend" named no variable either.
        (
            "DATABASE_URL",
            "portal:pa55word@db.internal:5432/portal",
            "DATABASE_URL names no database; it must begin with postgres:// "
            "(postgres://USER:PASSWORD@HOST:5432/NAME) or sqlite:/// (sqlite:////srv/portal/portal.sqlite3).",
        ),
        (
            "DATABASE_URL",
            "postgress://portal:pa55word@db.internal:5432/portal",
            "DATABASE_URL names no database; it must begin with postgres:// "
            "(postgres://USER:PASSWORD@HOST:5432/NAME) or sqlite:/// (sqlite:////srv/portal/portal.sqlite3).",
        ),
        (
            "PORTAL_TIME_ZONE",
            "Mars/Tharsis",
            "PORTAL_TIME_ZONE is 'Mars/Tharsis'; it must be a time zone name, e.g. Europe/Berlin or UTC.",
        ),
    ],
)
def test_a_database_url_or_time_zone_it_cannot_use_stops_the_start_naming_the_variable(
    tmp_path, name, value, message
):
    """A URL without its scheme stopped every command with KeyError 'ENGINE', an unknown zone
    with Django's "Incorrect timezone setting": neither named the variable to fix. The
    message never repeats the URL, which holds the database's password."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_DATA_DIR=str(tmp_path), **{name: value})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {message}"
    assert "pa55word" not in result.stderr


# Which of `sys.argv[1:]` the settings serve as a Host (Django's own check, no database), then
# the settings an empty variable could turn off.
HOSTS_AND_SWITCHES = (
    "-c",
    "import sys, django\n"
    "django.setup()\n"
    "from django.conf import settings\n"
    "from django.core.exceptions import DisallowedHost\n"
    "from django.test import RequestFactory\n"
    "for host in sys.argv[1:]:\n"
    "    try:\n"
    "        print(RequestFactory().get('/', HTTP_HOST=host).get_host(), 'served')\n"
    "    except DisallowedHost:\n"
    "        print(host, 'refused')\n"
    "print(settings.CSRF_TRUSTED_ORIGINS)\n"
    "print(settings.HTTPS, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT,\n"
    "      settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECRET_KEY == 'key-from-the-test')\n",
)


def hosts_and_switches(tmp_path, **environment: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_SECRET_KEY="key-from-the-test",
        PORTAL_DATA_DIR=str(tmp_path),
        **environment,
    )
    result = subprocess.run(
        [sys.executable, *HOSTS_AND_SWITCHES, "localhost", "support.example.com", "help.example.com"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("empty", ["", " "])
def test_an_empty_host_list_or_switch_is_its_default(tmp_path, empty):
    """An empty DJANGO_ALLOWED_HOSTS= (as a copied .env line leaves it) was no host at all:
    every request a 400. An empty PORTAL_HTTPS= was false (django-environ's reading): secure
    cookies, the HTTPS redirect and HSTS off. Each is its default, as an unset one."""
    names = ["DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS", "PORTAL_HTTPS"]
    names += ["DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert hosts_and_switches(tmp_path, **dict.fromkeys(names, empty)) == [
        "localhost served",  # this machine's names, the default
        "support.example.com refused",
        "help.example.com refused",
        "[]",
        "True True True True True",
    ]


def test_hosts_and_origins_let_the_spaces_around_each_go(tmp_path):
    """ "a, b" named the host " b", which no request names."""
    assert hosts_and_switches(
        tmp_path,
        DJANGO_ALLOWED_HOSTS="support.example.com, help.example.com,",
        DJANGO_CSRF_TRUSTED_ORIGINS=" https://support.example.com , https://help.example.com",
        PORTAL_HTTPS="false",
    ) == [
        "localhost refused",
        "support.example.com served",
        "help.example.com served",
        "['https://support.example.com', 'https://help.example.com']",
        "False False False False True",
    ]


def test_a_host_list_of_only_commas_is_the_default_too(tmp_path):
    lines = hosts_and_switches(tmp_path, DJANGO_ALLOWED_HOSTS=" , ", DJANGO_CSRF_TRUSTED_ORIGINS=",")
    assert lines[:4] == ["localhost served", "support.example.com refused", "help.example.com refused", "[]"]


def test_an_empty_secret_key_is_the_embedded_one_and_refused_by_name(tmp_path):
    """DJANGO_SECRET_KEY= (as .env.example leaves it) stopped every command with "The
    SECRET_KEY setting must not be empty", naming no variable; now it is the unset case:
    production refuses to migrate, saying to set DJANGO_SECRET_KEY."""
    result = run_manage(tmp_path, "migrate", "--no-input", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr
    assert "must not be empty" not in result.stderr


@pytest.mark.parametrize("target", ["migrate", "run", "serve"])
def test_make_migrates_without_a_statement_timeout(target):
    """`make serve` on PostgreSQL migrated under PORTAL_DATABASE_STATEMENT_TIMEOUT (30 s by
    default), which cancels a migration that rebuilds a large table; the image's start runs it
    with 0 (docs/decisions/0106-bounded-waits-on-an-open-database-connection.md)."""
    result = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    migrations = [line for line in result.stdout.splitlines() if "manage.py migrate" in line]
    assert migrations
    assert all(line.startswith("PORTAL_DATABASE_STATEMENT_TIMEOUT=0 ") for line in migrations)
