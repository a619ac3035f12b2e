"""portal/conf.py: every PORTAL_* default in one place, read when asked
(docs/decisions/0086-settings-defaults-in-portal-conf.md)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from portal import conf
from portal.conf import portal_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = list(conf.declared())


def other_value(default):
    """A value of the default's type that is not the default."""
    if isinstance(default, bool):
        return not default
    return default * 3 + 7


def test_every_setting_is_named_portal_and_has_a_typed_default():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names)) >= 17
    assert all(re.fullmatch(r"PORTAL_[A-Z_]+", name) for name in names)
    assert {type(setting.default) for setting in SETTINGS} <= {bool, int, float, str}


def test_the_environment_sets_each_setting_read_as_its_defaults_type(monkeypatch):
    for setting in SETTINGS:
        value = other_value(setting.default)
        monkeypatch.setenv(setting.name, str(value).lower())  # "true", "69", "16.0"
    values = conf.from_environment(environ.Env())
    assert values == {setting.name: other_value(setting.default) for setting in SETTINGS}
    assert all(type(values[s.name]) is type(s.default) for s in SETTINGS)


def test_an_empty_variable_is_the_default_as_an_unset_one(monkeypatch):
    """As .env.example leaves a line for the operator to fill in."""
    monkeypatch.setenv("PORTAL_RATE_LIMIT", "")
    monkeypatch.setenv("PORTAL_VENDOR_READ_TIMEOUT", "")
    values = conf.from_environment(environ.Env())
    assert (values["PORTAL_RATE_LIMIT"], values["PORTAL_VENDOR_READ_TIMEOUT"]) == (30, 5.0)


def test_without_the_environment_each_setting_is_its_default(monkeypatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    assert conf.from_environment(environ.Env()) == {s.name: s.default for s in SETTINGS}


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        (
            "PORTAL_API_RATE_LIMIT",
            "abc",
            "PORTAL_API_RATE_LIMIT is 'abc'; it must be a whole number, e.g. 120.",
        ),
        ("PORTAL_RATE_LIMIT", "1.5", "PORTAL_RATE_LIMIT is '1.5'; it must be a whole number, e.g. 120."),
        (
            "PORTAL_VENDOR_READ_TIMEOUT",
            "five",
            "PORTAL_VENDOR_READ_TIMEOUT is 'five'; it must be a number, e.g. 2.5.",
        ),
    ],
)
def test_a_value_that_is_no_number_names_its_variable(monkeypatch, name, value, says):
    """int()'s own "invalid literal for int() with base 10: 'abc'" names no variable: the
    operator would hunt through .env for it."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.from_environment(environ.Env())
    assert str(refused.value) == says


def test_a_read_sees_the_settings_of_the_moment(settings):
    settings.PORTAL_RATE_LIMIT = 5
    assert portal_settings.RATE_LIMIT == 5
    settings.PORTAL_RATE_LIMIT = 6
    assert portal_settings.RATE_LIMIT == 6
    settings.PORTAL_VENDOR_WAIT = 2  # an int where the default is a float
    assert portal_settings.VENDOR_WAIT == 2.0 and isinstance(portal_settings.VENDOR_WAIT, float)


def test_a_setting_missing_from_django_settings_is_its_default(settings):
    del settings.PORTAL_API_RATE_LIMIT
    assert portal_settings.API_RATE_LIMIT == conf.PortalSettings.API_RATE_LIMIT.default == 120


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_env_example_lists_the_setting(name):
    assert re.search(rf"^#?\s*{name}=", (ROOT / ".env.example").read_text(), flags=re.M)


def test_no_code_reads_a_portal_setting_past_portal_conf():
    """One place for every default: no `settings.PORTAL_X`, no getattr with a default of its own."""
    pattern = re.compile(r"settings\.PORTAL_|getattr\(\s*settings,\s*[\"']PORTAL_")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "portal").rglob("*.py"))
        if path.name != "conf.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORTAL_API_RATE_LIMIT", 0, "PORTAL_API_RATE_LIMIT is 0; it must be at least 1."),
        ("PORTAL_RATE_LIMIT", -5, "PORTAL_RATE_LIMIT is -5; it must be at least 1."),
        ("PORTAL_TRUSTED_PROXY_COUNT", -1, "PORTAL_TRUSTED_PROXY_COUNT is -1; it must be at least 0."),
        ("PORTAL_VENDOR_READ_TIMEOUT", 0.0, "PORTAL_VENDOR_READ_TIMEOUT is 0; it must be more than 0."),
        ("PORTAL_VENDOR_WAIT", -0.5, "PORTAL_VENDOR_WAIT is -0.5; it must be at least 0."),
        ("PORTAL_FORM_MAX_AGE", 30, "PORTAL_FORM_MAX_AGE is 30; it must be at least 60."),
    ],
)
def test_a_setting_past_its_bound_stops_the_start(settings, name, value, says):
    """`migrate` (the image's entrypoint, `make run`) runs the system checks first: a limit of 0
    or a zero timeout stops the start with what to fix, instead of refusing every request."""
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError, match=re.escape(says)):
        call_command("check")


def test_every_default_is_within_its_bound_and_the_bounds_are_accepted(settings):
    from portal.checks import settings_in_range

    assert settings_in_range(None) == []
    for setting in SETTINGS:
        bound = setting.at_least if setting.at_least is not None else setting.above
        if bound is None:
            continue
        assert setting.out_of_range(setting.default) == ""
        edge = setting.at_least if setting.at_least is not None else setting.above + 0.001
        setattr(settings, setting.name, type(setting.default)(edge))
    assert settings_in_range(None) == []


# ------------------------------------------------------------------------------
# The forms a number takes (portal.conf.parse_number)
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("5", 5.0),
        ("0.25", 0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("007", 7.0),
        ("-1", -1.0),
        ("-0.5", -0.5),
        ("2.5\t", 2.5),  # spaces around it are let go, as around a boolean
    ],
)
def test_a_float_setting_takes_plain_decimals(monkeypatch, value, read):
    monkeypatch.setenv("PORTAL_VENDOR_READ_TIMEOUT", value)
    read_back = conf.from_environment(environ.Env())["PORTAL_VENDOR_READ_TIMEOUT"]
    assert read_back == read and type(read_back) is float


@pytest.mark.parametrize(
    ("value", "read"),
    # `30 ` from a line in .env (django-environ keeps the space), `30\n` from a YAML block.
    [("45", 45), ("007", 7), ("0", 0), ("-3", -3), (" 30 ", 30), ("30\n", 30)],
)
def test_a_whole_number_setting_takes_plain_decimal_integers(monkeypatch, value, read):
    monkeypatch.setenv("PORTAL_RATE_LIMIT", value)
    read_back = conf.from_environment(environ.Env())["PORTAL_RATE_LIMIT"]
    assert read_back == read and type(read_back) is int


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        # django-environ's float reads the number at the front of any text: 5s was 5.0.
        (
            "PORTAL_VENDOR_READ_TIMEOUT",
            "5s",
            "'5s' (text after the number; it takes no unit); it must be a number",
        ),
        ("PORTAL_VENDOR_READ_TIMEOUT", "5 seconds", "'5 seconds' (text after the number; it takes no unit)"),
        (
            "PORTAL_RATE_LIMIT",
            "30/min",
            "'30/min' (text after the number; it takes no unit); it must be a whole",
        ),
        ("PORTAL_VENDOR_READ_TIMEOUT", "1e3", "'1e3' (an exponent; write the number out)"),
        ("PORTAL_RATE_LIMIT", "1E3", "'1E3' (an exponent; write the number out)"),
        ("PORTAL_RATE_LIMIT", "0x10", "'0x10' (not decimal)"),
        ("PORTAL_VENDOR_READ_TIMEOUT", "0o17", "'0o17' (not decimal)"),
        # int() and float() take 1_000, +5 and other scripts' digits.
        ("PORTAL_RATE_LIMIT", "5 0", "'5 0' (text after the number; it takes no unit)"),
        ("PORTAL_RATE_LIMIT", "1_000", "'1_000' (a separator between digits)"),
        ("PORTAL_RATE_LIMIT", "1,000", "'1,000' (a separator between digits)"),
        ("PORTAL_VENDOR_READ_TIMEOUT", "2,5", "'2,5' (a separator between digits)"),
        ("PORTAL_RATE_LIMIT", "+5", "'+5' (a plus sign)"),
        ("PORTAL_RATE_LIMIT", "٣٠", "'٣٠' (digits other than 0-9)"),
        ("PORTAL_VENDOR_READ_TIMEOUT", "nan", "'nan' (not a finite number)"),
        ("PORTAL_VENDOR_READ_TIMEOUT", "-inf", "'-inf' (not a finite number)"),
        ("PORTAL_VENDOR_READ_TIMEOUT", "1" + "0" * 400, "(too large); it must be a number"),
        ("PORTAL_RATE_LIMIT", "9" * 5000, "(too large); it must be a whole number"),
        ("PORTAL_RATE_LIMIT", "2.5", "PORTAL_RATE_LIMIT is '2.5'; it must be a whole number, e.g. 120."),
        ("PORTAL_VENDOR_READ_TIMEOUT", "1.2.3", "PORTAL_VENDOR_READ_TIMEOUT is '1.2.3'; it must be a number"),
    ],
)
def test_a_number_in_any_other_form_names_its_variable_and_its_problem(monkeypatch, name, value, says):
    """Each of these was read as a number (or a different one) before: "5s" as 5.0, " 5 " as 5,
    "nan" as a timeout that passes every bound check."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.from_environment(environ.Env())
    assert str(refused.value).startswith(f"{name} is ")
    assert says in str(refused.value)


# ------------------------------------------------------------------------------
# Numbers portal/settings.py reads for Django and its libraries, checked at the start
# ------------------------------------------------------------------------------
def run_portal(tmp_path: Path, argv: list[str], **environment: str) -> subprocess.CompletedProcess:
    """`argv` (a manage.py command, or `-c` code) with the production settings and
    `environment`, in a process of its own: these numbers are read once, when the settings are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_"))}
    env.pop("CACHE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_DATA_DIR=str(tmp_path), **environment)
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PAST_THE_BOUND = {
    "PORTAL_ADMIN_LOGIN_FAILURE_LIMIT": ("0", "at least 1"),  # every sign-in locked out
    "PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES": ("0", "more than 0"),  # no lockout at all
    "PORTAL_PASSWORD_MIN_LENGTH": ("7", "at least 8"),
    "DJANGO_SECURE_HSTS_SECONDS": ("-1", "at least 0"),
    "DATABASE_CONN_MAX_AGE": ("-5", "at least 0"),
    "PORTAL_LOG_CLIENT_ERRORS_PER_MINUTE": ("-1", "at least 0"),
}
AT_THE_BOUND = {
    "PORTAL_ADMIN_LOGIN_FAILURE_LIMIT": "1",
    "PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES": "0.5",
    "PORTAL_PASSWORD_MIN_LENGTH": "8",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "DATABASE_CONN_MAX_AGE": "0",
    "PORTAL_LOG_CLIENT_ERRORS_PER_MINUTE": "0",
}


def test_a_number_settings_py_reads_past_its_bound_stops_manage_py_check(tmp_path):
    """`PORTAL_ADMIN_LOGIN_FAILURE_LIMIT=0` locked every admin out at the first sign-in, a
    cool-off of 0 let a password be guessed without pause: each stops the start, named."""
    result = run_portal(tmp_path, ["manage.py", "check"], **{k: v for k, (v, _) in PAST_THE_BOUND.items()})
    assert result.returncode == 1
    for name, (value, bound) in PAST_THE_BOUND.items():
        assert f"(portal.E002) {name} is {value}; it must be {bound}." in result.stderr
    assert result.stderr.count("portal.E002") == len(PAST_THE_BOUND)


def test_the_numbers_settings_py_reads_are_accepted_at_their_bound(tmp_path):
    result = run_portal(tmp_path, ["manage.py", "check"], **AT_THE_BOUND)
    assert (result.returncode, result.stderr) == (0, "")
    assert "no issues" in result.stdout


# The settings alone, without django.setup(): the database backend needs no driver to be named.
CHECK_SETTINGS = (
    "-c",
    "from django.conf import settings\n"
    "from portal.checks import settings_in_range\n"
    "print(settings.DATABASES['default']['OPTIONS'].get('connect_timeout'))\n"
    "for error in settings_in_range(None):\n"
    "    print(error.id, error.msg)\n",
)
SERVERS = {
    "DATABASE_URL": "postgres://portal:secret@127.0.0.1:18150/portal",
    "CACHE_URL": "redis://127.0.0.1:18151/0",
}


def test_the_database_and_redis_waits_are_bound_too(tmp_path):
    """Read only with PostgreSQL and Redis: a connect timeout of 0 is libpq's "wait for ever",
    the very wait it is there to bound; the others take 0 for "no limit"."""
    past = run_portal(
        tmp_path,
        list(CHECK_SETTINGS),
        **SERVERS,
        PORTAL_DATABASE_CONNECT_TIMEOUT="0",
        PORTAL_DATABASE_STATEMENT_TIMEOUT="-1",
        PORTAL_REDIS_TIMEOUT="-0.5",
    )
    assert past.returncode == 0, past.stderr
    assert past.stdout.splitlines()[1:] == [
        "portal.E002 PORTAL_DATABASE_CONNECT_TIMEOUT is 0; it must be at least 1.",
        "portal.E002 PORTAL_DATABASE_STATEMENT_TIMEOUT is -1; it must be at least 0.",
        "portal.E002 PORTAL_REDIS_TIMEOUT is -0.5; it must be at least 0.",
    ]
    edge = {"PORTAL_DATABASE_CONNECT_TIMEOUT": "1", "PORTAL_DATABASE_STATEMENT_TIMEOUT": "0"}
    at = run_portal(tmp_path, list(CHECK_SETTINGS), **SERVERS, **edge, PORTAL_REDIS_TIMEOUT="0")
    assert (at.returncode, at.stdout.splitlines()) == (0, ["1"])


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        (
            "PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES",
            "15min",
            "PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES is '15min' (text after the number; it takes no unit); "
            "it must be a number, e.g. 2.5.",
        ),
        (
            "PORTAL_PASSWORD_MIN_LENGTH",
            "twelve",
            "PORTAL_PASSWORD_MIN_LENGTH is 'twelve'; it must be a whole number, e.g. 120.",
        ),
    ],
)
def test_a_number_settings_py_reads_in_another_form_stops_the_start_named(tmp_path, name, value, says):
    result = run_portal(tmp_path, ["manage.py", "check"], **{name: value})
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith(f"django.core.exceptions.ImproperlyConfigured: {says}")


def test_settings_py_reads_every_number_through_the_bound_reader():
    """One mechanism: env.int and env.float would take "5s" or 0 again, unchecked."""
    source = (ROOT / "portal" / "settings.py").read_text(encoding="utf-8")
    assert re.findall(r"env\.(?:int|float)\(", source) == []
    assert len(re.findall(r"_number\(\"", source)) >= 9


def test_each_number_settings_py_reads_has_its_default_within_its_bound():
    """The numbers this test run's settings read (the database's and Redis's only with those)."""
    read = {setting.name: setting for setting, _value in conf.environment_numbers()}
    assert set(PAST_THE_BOUND) <= set(read)
    assert all(setting.out_of_range(setting.default) == "" for setting in read.values())
    assert all(read[name].out_of_range(float(value)) for name, (value, _) in PAST_THE_BOUND.items())


# ------------------------------------------------------------------------------
# Numbers far past their bound, and bounds above
# ------------------------------------------------------------------------------
HUGE = "9" * 4000  # read whole (under sys.get_int_max_str_digits()), far past any float


def test_a_huge_number_past_its_bound_gets_the_bounds_message_shortened(settings):
    """Written as a float ("{:g}"), a negative number of 4,000 digits stopped the check itself
    with OverflowError instead of naming the variable."""
    settings.PORTAL_RATE_LIMIT = conf.parse_number("-" + HUGE, int)
    with pytest.raises(SystemCheckError) as refused:
        call_command("check")
    assert f"PORTAL_RATE_LIMIT is -{'9' * 19}... (4000 digits); it must be at least 1." in str(refused.value)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("-" + "9" * 300 + ".5", f"-1{'0' * 18}... (301 digits)"),
        ("-0.00001", "-0.00001"),
        ("-0.0", "0"),
    ],
)
def test_a_float_past_its_bound_is_written_out_as_typed(value, says):
    """Not as Python writes it ("-1e+300", "-1e-05", "-0")."""
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.bounded_number(
            {"PORTAL_REQUEST_HEAD_SECONDS": value}, "PORTAL_REQUEST_HEAD_SECONDS", 15.0, above=0
        )
    assert str(refused.value) == f"PORTAL_REQUEST_HEAD_SECONDS is {says}; it must be more than 0."


def test_a_bound_above_refuses_a_larger_number_and_takes_its_edge():
    setting = conf.Setting(15.0, above=0, at_most=60)
    setting.name = "PORTAL_EXAMPLE"
    assert (setting.out_of_range(60), setting.out_of_range(60.5)) == (
        "",
        "PORTAL_EXAMPLE is 60.5; it must be at most 60.",
    )
    assert conf.bounded_number({"X": "60"}, "X", 1, at_most=60) == 60
    with pytest.raises(ImproperlyConfigured, match=r"^X is 61; it must be at most 60\.$"):
        conf.bounded_number({"X": "61"}, "X", 1, at_most=60)


ADMIN_LOCKOUT = (
    "-c",
    "from django.conf import settings\n"
    "from portal.checks import settings_in_range\n"
    "print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds())\n"
    "for error in settings_in_range(None):\n"
    "    print(error.id, error.msg)\n",
)


def test_a_cool_off_too_long_for_the_calendar_is_refused_by_name(tmp_path):
    """10**13 minutes stopped the start in timedelta() with an OverflowError naming nothing;
    10**12 started, then every failed sign-in failed in axes (now - cool-off, before year 1).
    Past its bound, a number is the check's to refuse and the settings take the default."""
    result = run_portal(
        tmp_path,
        list(ADMIN_LOCKOUT),
        PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES="10000000000000",
        PORTAL_ADMIN_LOGIN_FAILURE_LIMIT="-" + HUGE,
    )
    assert result.returncode == 0, result.stderr
    shown = f"-{'9' * 19}... (4000 digits)"
    assert result.stdout.splitlines() == [
        "5 900.0",
        f"portal.E002 PORTAL_ADMIN_LOGIN_FAILURE_LIMIT is {shown}; it must be at least 1.",
        "portal.E002 PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES is 10000000000000; it must be at most 525960000.",
    ]
    thousand_years = run_portal(tmp_path, list(ADMIN_LOCKOUT), PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES="525960000")
    assert thousand_years.stdout.splitlines() == ["5 31557600000.0"]


# ------------------------------------------------------------------------------
# The benches read gunicorn's numbers as gunicorn.conf.py does
# ------------------------------------------------------------------------------
def test_the_hung_appliance_bench_reads_gunicorns_numbers_as_gunicorn_conf_does():
    """Its bare int() took "1_000" and "0" that gunicorn.conf.py refuses, and reported a worker
    count gunicorn never started."""
    from bench.hung_appliance import shipped_threads, shipped_workers

    assert (shipped_workers({"WEB_CONCURRENCY": " 3 "}), shipped_threads({"PORTAL_THREADS": "8"})) == (3, 8)
    assert shipped_workers({"WEB_CONCURRENCY": ""}) == max(2, os.cpu_count() or 1)
    for value in ("0", "1_000", "3 workers"):
        with pytest.raises(ImproperlyConfigured, match=r"^WEB_CONCURRENCY is "):
            shipped_workers({"WEB_CONCURRENCY": value})
    with pytest.raises(ImproperlyConfigured, match=r"^PORTAL_THREADS is 0; it must be at least 1\.$"):
        shipped_threads({"PORTAL_THREADS": "0"})


def test_no_bench_or_test_helper_reads_a_deployment_number_with_a_bare_int():
    """One reader (portal.conf) for the numbers a deployment sets, wherever they are read."""
    pattern = re.compile(
        r"\b(?:int|float)\([^)]*[\"'](?:WEB_CONCURRENCY|GUNICORN_\w+|PORTAL_\w+|DJANGO_\w+)[\"']"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bench", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and path != Path(__file__)
    ]
    assert offenders == []


def test_an_empty_boolean_setting_is_its_default_not_false(monkeypatch):
    """django-environ reads an empty boolean as false, whatever the default."""
    env = environ.Env()
    for value, read in [
        ("", True),
        ("  ", True),
        ("false", False),
        ("true", True),
        ("False", False),
        (" yes ", True),
        ("OFF", False),
        ("0", False),
        ("1", True),
    ]:
        monkeypatch.setenv("PORTAL_EXAMPLE_SWITCH", value)
        assert conf.read_flag(env, "PORTAL_EXAMPLE_SWITCH", True) is read, value
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_PRIVATE", "")
    assert conf.from_environment(env)["PORTAL_WEBHOOKS_ALLOW_PRIVATE"] is False


@pytest.mark.parametrize("value", ["ture", "enabled", "2", "nein", "t rue"])
def test_a_switch_in_any_other_word_names_its_variable(monkeypatch, value):
    """django-environ reads every word it does not know as false: `PORTAL_HTTPS=ture` turned
    secure cookies, HSTS and the HTTPS redirect off without a word."""
    monkeypatch.setenv("PORTAL_EXAMPLE_SWITCH", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.read_flag(environ.Env(), "PORTAL_EXAMPLE_SWITCH", True)
    assert str(refused.value) == (
        f"PORTAL_EXAMPLE_SWITCH is {value!r}; it must be true or false (or yes/no, on/off, 1/0)."
    )


def test_a_mistyped_https_switch_stops_the_start(tmp_path):
    """The switch that turns secure cookies, HSTS and the HTTPS redirect on, as the image reads
    it (settings.py, a process of its own)."""
    result = run_portal(tmp_path, ["manage.py", "check"], PORTAL_HTTPS="ture")
    assert result.returncode != 0
    assert "PORTAL_HTTPS is 'ture'; it must be true or false" in result.stderr


@pytest.mark.parametrize(
    ("text", "level"), [("info", "INFO"), (" Debug ", "DEBUG"), ("WARNING", "WARNING"), ("", "INFO")]
)
def test_a_log_level_is_taken_in_any_case(text, level):
    """logging knows only upper-case names: `PORTAL_LOG_LEVEL=info`, as gunicorn spells it,
    stopped the start with "Unable to configure root logger"."""
    assert conf.read_log_level("PORTAL_LOG_LEVEL", text, "INFO") == level


def test_an_unknown_log_level_names_its_variable():
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.read_log_level("PORTAL_LOG_LEVEL", "verbose", "INFO")
    assert str(refused.value) == (
        "PORTAL_LOG_LEVEL is 'verbose'; it must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )


# Where the portal reads its environment, and how: settings.py's readers (_number, _flag, ...),
# gunicorn.conf.py's and the worker class's (number, bounded_number, os.environ.get), and
# portal_bootstrap's first backend. Django's own variables (DJANGO_SETTINGS_MODULE, the
# DJANGO_SUPERUSER_* of createsuperuser) are Django's to document.
READING_FILES = (
    "portal/settings.py",
    "gunicorn.conf.py",
    "portal/gunicorn_worker.py",
    "portal/management/commands/portal_bootstrap.py",
)
READ_CALL = re.compile(
    r"\b(?:_number|_flag|_text|_list|_folder|_admins|number|env(?:\.\w+)?|os\.environ\.get|read_log_level"
    r"|bounded_number\(os\.environ,)\(?\s*\"([A-Z][A-Z0-9_]+)\""
)
BOOTSTRAP_NAME = re.compile(r"\"((?:BEYONDTRUST|TAKECONTROL)_[A-Z_]+)\"")


def variables_read() -> set[str]:
    names = {setting.name for setting in SETTINGS}
    for path in READING_FILES:
        text = (ROOT / path).read_text(encoding="utf-8")
        names.update(READ_CALL.findall(text))
        names.update(BOOTSTRAP_NAME.findall(text))
    return names


def test_env_example_lists_every_variable_the_portal_reads_and_no_other():
    """An operator configures the portal from .env.example: a variable read but not listed
    there (PORTAL_CACHE_DIR, GUNICORN_LOG_LEVEL, PORTAL_REQUEST_HEAD_SECONDS were) is one they
    never hear of, and one listed but never read is a setting that does nothing."""
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    read = variables_read()
    assert {"PORTAL_RATE_LIMIT", "DJANGO_SECRET_KEY", "WEB_CONCURRENCY", "BEYONDTRUST_URL"} <= read
    assert sorted(read - listed) == []
    assert sorted(listed - read) == []


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_env_example_shows_each_portal_setting_at_its_default(setting):
    """.env.example's value of a PORTAL_* setting is its default, so a copied file changes
    nothing the operator did not mean to change."""
    line = re.search(rf"^{setting.name}=(.*)$", (ROOT / ".env.example").read_text(), flags=re.M)
    assert line is not None
    value = conf.FLAG_WORDS[line[1].lower()] if isinstance(setting.default, bool) else line[1]
    if not isinstance(setting.default, bool):
        value = conf.parse_number(line[1], type(setting.default))
    assert value == setting.default


def test_a_copied_env_example_keeps_the_data_folder_of_each_way_to_run(monkeypatch):
    """.env.example copied to .env (read by the settings, django-environ) for `make run` on a
    laptop named /data, which is not there and not the user's: the line stays commented, so
    `make` keeps ./data and the image its own /data (docs/decisions/0124-unwritable-data-folder.md)."""
    read: dict[str, str] = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", read)
    environ.Env.read_env(ROOT / ".env.example", overwrite=True)
    assert "DJANGO_SECRET_KEY" in read  # the file was read as the settings read .env
    assert read.get("PORTAL_DATA_DIR", "") == ""
    assert re.search(r"^#PORTAL_DATA_DIR=/data$", (ROOT / ".env.example").read_text(), flags=re.M)


def copied_env_example(monkeypatch) -> dict[str, str]:
    """The variables a `.env` copied from .env.example sets, read as the settings read `.env`."""
    read: dict[str, str] = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", read)
    environ.Env.read_env(ROOT / ".env.example", overwrite=True)
    return read


def make_run_exports() -> dict[str, str]:
    """What `make run` exports for its server (`make -n run`): it wins over `.env`, which the
    settings read without overwriting the environment."""
    dry_run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    line = next(line for line in dry_run.stdout.splitlines() if line.startswith("export "))
    pairs = (word.split("=", 1) for word in line.split()[1:] if "=" in word and "$" not in word)
    return dict(pairs)


SHOW_DATA_AND_HOSTS = (
    "from django.conf import settings; from django.http.request import validate_host;"
    "print(settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'],"
    " validate_host('127.0.0.1', settings.ALLOWED_HOSTS), settings.SECURE_SSL_REDIRECT,"
    " settings.SECURE_HSTS_SECONDS, settings.DEBUG)"
)


def manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py` run in the repository with `environment` alone, its output kept."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_copied_env_example_serves_make_run_on_sqlite_and_the_disk_cache(monkeypatch, tmp_path):
    """`cp .env.example .env && make run` stopped at `migrate` with a traceback from
    PostgreSQL on 127.0.0.1:5432 (DATABASE_URL), and with the database mended, the server
    refused 127.0.0.1 (DJANGO_ALLOWED_HOSTS=support.example.com) and redirected to https
    (DJANGO_SECURE_SSL_REDIRECT=true). As copied, the file serves `make run` as no `.env` does."""
    from tests.test_data_folders import portal_environment

    exports = make_run_exports()
    assert exports["PORTAL_HTTPS"] == "false" and exports["DJANGO_DEBUG"] == "true"
    environment = portal_environment()
    environment.update(copied_env_example(monkeypatch), **exports, PORTAL_DATA_DIR=str(tmp_path))

    checked = manage(environment, "migrate", "--no-input")  # runs the checks too, as `make run` does
    assert checked.returncode == 0, checked.stderr
    shown = manage(environment, "shell", "--no-imports", "-c", SHOW_DATA_AND_HOSTS)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "django.db.backends.sqlite3",
        "portal.cache_backend.SharedDiskCache",
        "True",  # 127.0.0.1 is served
        "False",  # no redirect to https
        "0",
        "True",
    ]


def test_a_copied_env_example_is_production_once_its_required_lines_are_filled(monkeypatch, tmp_path):
    """The same file on a server: HTTPS, its redirect and HSTS on (they follow PORTAL_HTTPS),
    and Django's deployment checks pass once the secret key and the host are set."""
    from tests.test_data_folders import portal_environment

    environment = portal_environment()
    environment.update(
        copied_env_example(monkeypatch),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="support.example.com",
        PORTAL_DATA_DIR=str(tmp_path),
    )
    assert environment["PORTAL_HTTPS"] == "true"  # the file's own value

    deploy = manage(environment, "check", "--deploy", "--fail-level", "WARNING")
    assert deploy.returncode == 0, deploy.stderr
    shown = manage(environment, "shell", "--no-imports", "-c", SHOW_DATA_AND_HOSTS)
    assert shown.stdout.split() == [
        "django.db.backends.sqlite3",
        "portal.cache_backend.SharedDiskCache",
        "False",  # only the named host
        "True",
        "31536000",
        "False",
    ], shown.stderr
