"""portal/conf.py: every PORTAL_* default in one place, read when asked
(docs/decisions/0086-settings-defaults-in-portal-conf.md)."""

from __future__ import annotations

import re
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
