"""Every PORTAL_* setting the portal's code reads, with its default and meaning, in one place
(django-allauth's `app_settings` style; docs/decisions/0086-settings-defaults-in-portal-conf.md).

Code reads `portal_settings.RATE_LIMIT`, never `settings.PORTAL_RATE_LIMIT` or a `getattr` with
a default of its own. Each read asks `django.conf.settings` at that moment, so
`override_settings(PORTAL_RATE_LIMIT=...)` in a test applies at once. `portal.settings` takes
each value from the environment variable of the same name (`from_environment`), falling back
to the default here; the environment variables that configure Django itself (database, cache,
hosts, HTTPS, time zone, logging, admin lockout) stay in `portal/settings.py`, whose numbers are
read here too (`environment_number`): in the same plain decimal forms, with a bound the same
system check holds them to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import partial
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T", bool, int, float, str)
N = TypeVar("N", int, float)
PREFIX = "PORTAL_"


class Setting(Generic[T]):
    """One PORTAL_<NAME> setting: read from Django's settings when asked, else its default,
    as the default's type (a test may override a float with an int). A number may be bound
    below (`at_least`, or `above` for a value that must exceed it), past which it means nothing
    sound: a limit of 0 refuses every request, a timeout of 0 waits for nothing; and above
    (`at_most`), where a larger value no longer fits what it is used for (a duration past the
    calendar's end). `portal.checks.settings_in_range` refuses such a value when the portal
    starts."""

    def __init__(
        self,
        default: T,
        *,
        at_least: float | None = None,
        above: float | None = None,
        at_most: float | None = None,
    ) -> None:
        self.default: T = default
        self.at_least, self.above, self.at_most = at_least, above, at_most
        self.name = ""

    def out_of_range(self, value: Any) -> str:
        """What is wrong with `value` for this setting, or "" when nothing is."""
        if self.at_least is not None and value < self.at_least:
            return f"{self.name} is {written(value)}; it must be at least {written(self.at_least)}."
        if self.above is not None and value <= self.above:
            return f"{self.name} is {written(value)}; it must be more than {written(self.above)}."
        if self.at_most is not None and value > self.at_most:
            return f"{self.name} is {written(value)}; it must be at most {written(self.at_most)}."
        return ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = PREFIX + name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> Setting[T] | T:
        if instance is None:
            return self
        return type(self.default)(getattr(settings, self.name, self.default))


# A number longer than this is shown by its start and its count of digits: a value of 4,000
# digits (read whole, then refused by its bound) is no message.
_SHOWN_CHARACTERS = 24


def written(value: float) -> str:
    """`value` as an operator types it, in plain decimal ("0", "0.5", "1000000"), not as Python
    writes it ("0.0", "1e+06"); a long one shortened to its start and its count of digits
    ("-99999999999999999999... (4000 digits)"). Any int or float, however large: formatting one
    as a float ("{:g}") failed for an int past a float's range."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = format(Decimal(repr(value) if isinstance(value, float) else int(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    digits = sum(character.isdigit() for character in text)
    return f"{text[: _SHOWN_CHARACTERS - 4]}... ({digits} digits)"


class PortalSettings:
    # --- Client addresses -------------------------------------------------------------------
    # Behind this many trusted proxies, the client is this many hops from the right of
    # X-Forwarded-For (rate limits, admin lockout); 0: REMOTE_ADDR.
    TRUSTED_PROXY_COUNT = Setting(0, at_least=0)

    # --- Vendor calls -----------------------------------------------------------------------
    # (connect, read) timeouts in seconds, on every call.
    VENDOR_CONNECT_TIMEOUT = Setting(3.0, above=0)
    VENDOR_READ_TIMEOUT = Setting(5.0, above=0)
    # Vendor lists for customer pages (the representative list) are refreshed in the
    # background; with nothing cached yet, the request that starts the refresh waits at most
    # this many seconds, then the page says it is checking and asks again
    # (docs/decisions/0042-no-customer-waits-on-a-vendor.md).
    VENDOR_WAIT = Setting(0.3, at_least=0)
    # Take Control REST: a 429's Retry-After is waited out on the request path only up to
    # this many seconds; TC_BREAKER_THRESHOLD 429s in a row stop calls for TC_BREAKER_RESET
    # seconds (docs/decisions/0015-takecontrol-rest-start.md), and so do as many calls in a row
    # the vendor did not answer (docs/decisions/0096-takecontrol-health-breaker.md).
    TC_RETRY_AFTER_MAX = Setting(3.0, at_least=0)
    TC_BREAKER_THRESHOLD = Setting(3, at_least=1)
    TC_BREAKER_RESET = Setting(60, at_least=1)

    # --- Public forms and the API -----------------------------------------------------------
    # A form's signed timestamp is valid for this many seconds, and a client address may
    # start RATE_LIMIT times per RATE_WINDOW seconds
    # (docs/decisions/0020-cookie-free-public-forms.md).
    FORM_MAX_AGE = Setting(6 * 60 * 60, at_least=60)
    RATE_LIMIT = Setting(30, at_least=1)
    RATE_WINDOW = Setting(60, at_least=1)
    # Integrations API: requests per token in a sliding minute (estimated from two counters,
    # docs/decisions/0111-sliding-api-rate-limit.md); the start limit's window is fixed.
    API_RATE_LIMIT = Setting(120, at_least=1)

    # --- Shared cache outage (docs/decisions/0101-serving-through-a-redis-outage.md) -----
    # While Redis does not answer, each process serves the cache from its own memory and one
    # thread of it asks Redis again every this many seconds; no request waits on it meanwhile.
    REDIS_RETRY_SECONDS = Setting(5.0, above=0)

    # --- Start webhooks (docs/decisions/0071-webhook-retries-and-exactly-one-sender.md) -----
    # (connect, read) timeouts in seconds for one delivery attempt.
    WEBHOOKS_CONNECT_TIMEOUT = Setting(3.0, above=0)
    WEBHOOKS_READ_TIMEOUT = Setting(5.0, above=0)
    # The n-th retry waits WEBHOOKS_RETRY_BASE x 2^(n-1) seconds (at most
    # WEBHOOKS_RETRY_MAX_DELAY, +-20 % jitter); WEBHOOKS_RETRY_HOURS after the event the
    # delivery is given up.
    WEBHOOKS_RETRY_BASE = Setting(30.0, above=0)
    WEBHOOKS_RETRY_MAX_DELAY = Setting(6 * 60 * 60.0, above=0)
    WEBHOOKS_RETRY_HOURS = Setting(24.0, above=0)
    # Receivers on private, loopback, link-local or otherwise non-public addresses are refused
    # (server-side request forgery; docs/decisions/0072-webhook-receiver-addresses.md);
    # development and the tests set this to true.
    WEBHOOKS_ALLOW_PRIVATE = Setting(False)


portal_settings = PortalSettings()


def declared() -> Iterator[Setting[Any]]:
    """Every setting of PortalSettings, in declaration order."""
    for value in vars(PortalSettings).values():
        if isinstance(value, Setting):
            yield value


# What a value of each type must look like, for an operator who typed something else.
_EXPECTED = {int: "a whole number, e.g. 120", float: "a number, e.g. 2.5"}
# The forms a number takes (docs/decisions/0086-settings-defaults-in-portal-conf.md): decimal
# digits 0-9 with an optional leading minus (a negative number is read, then refused by its
# bound with the bound named), and for a float setting a decimal point. Nothing around them:
# int() and float() take " 5 ", "1_000", "+5", "1e3", "nan" and Arabic-Indic digits, and
# django-environ's float reads "5s" and "5 seconds" as 5.0, none of which an operator means.
_FORMS = {int: re.compile(r"-?[0-9]+"), float: re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")}
# What is wrong with a value that is no such number, when it can be told; first match wins.
_PROBLEMS = (
    (re.compile(r"[+-]?0[xob][0-9a-f_]+", re.I), "not decimal"),
    (re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)e[+-]?[0-9]+", re.I), "an exponent; write the number out"),
    (re.compile(r"[+-]?[0-9]+(?:[_,'][0-9]+)+(?:\.[0-9]*)?"), "a separator between digits"),
    (re.compile(r"[+-]?(?:nan|inf|infinity)", re.I), "not a finite number"),
    (
        re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[^0-9.].*", re.S),
        "text after the number; it takes no unit",
    ),
    (re.compile(r"\+[0-9.]+"), "a plus sign"),
)


def parse_number(text: str, kind: type) -> Any:
    """`text` as a number of `kind` (int or float) when it is in an accepted form above, else
    ValueError saying what is wrong when that can be told ("" when not: "abc", "2.5" for an int)."""
    if _FORMS[kind].fullmatch(text):
        try:
            value = kind(text)
        except ValueError:  # an int of more digits than sys.get_int_max_str_digits()
            raise ValueError("too large") from None
        if kind is float and not math.isfinite(value):
            raise ValueError("too large")
        return value
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        raise ValueError("digits other than 0-9")
    raise ValueError(next((problem for pattern, problem in _PROBLEMS if pattern.fullmatch(text)), ""))


def read_number(env: Any, setting: Setting[Any]) -> Any:
    """The environment variable `setting.name` as the default's type, or the default when it
    is not set or empty (as .env.example leaves a line, and as django-environ reads it).

    A value in none of the accepted forms stops the start naming the variable and what is
    wrong (ImproperlyConfigured), not with int()'s "invalid literal" that names neither, nor is
    it read as something else; a number past its bound is
    `portal.checks.settings_in_range`'s (portal.E002)."""
    return _number_of(env.str(setting.name, default=""), setting)


def _number_of(text: str, setting: Setting[Any]) -> Any:
    """`text`, the value of the variable `setting.name`, as `read_number` reads it. Spaces and
    line breaks around it are let go, as around a boolean: `30 ` from a line in .env, `30\n`
    from a YAML block."""
    text = text.strip()
    if not text:
        return setting.default
    kind = type(setting.default)
    try:
        return parse_number(text, kind)
    except ValueError as refused:
        problem = str(refused)
    said = f"{text!r} ({problem})" if problem else repr(text)
    raise ImproperlyConfigured(f"{setting.name} is {said}; it must be {_EXPECTED[kind]}.") from None


# The words a switch takes, in any case: django-environ's for true, and their opposites.
FLAG_WORDS = {
    **dict.fromkeys(("true", "on", "ok", "y", "yes", "1"), True),
    **dict.fromkeys(("false", "off", "n", "no", "0"), False),
}


def read_flag(env: Any, name: str, default: bool) -> bool:
    """The environment variable `name` as a boolean, or `default` when it is unset or blank:
    django-environ reads an empty one as false, so `PORTAL_HTTPS=` turned secure cookies, HSTS
    and the HTTPS redirect off. Any word but those of FLAG_WORDS stops the start naming the
    variable: django-environ reads every other word as false, so a typo (`PORTAL_HTTPS=ture`)
    turned them off too."""
    text = env.str(name, default="").strip()
    if not text:
        return default
    try:
        return FLAG_WORDS[text.lower()]
    except KeyError:
        raise ImproperlyConfigured(
            f"{name} is {text!r}; it must be true or false (or yes/no, on/off, 1/0)."
        ) from None


# The longest request line (`GET /survey/?... HTTP/1.1`, in bytes) the portal's server takes:
# gunicorn.conf.py sets gunicorn's limit_request_line to it (4094, gunicorn's default; common
# proxies stop at 8 KB), and the API and `portal_prefill_link` refuse to sign a link a browser
# could not open under it (prefill.link_too_long).
REQUEST_LINE_MAX = 4094

# The levels a log takes, as logging names them; an operator may write them in any case.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def read_log_level(name: str, text: str, default: str) -> str:
    """`text`, the value of the log level variable `name`, as logging names the level, or
    `default` when it is blank. logging takes only upper-case names: `PORTAL_LOG_LEVEL=info`
    (gunicorn's spelling) stopped the start with "Unable to configure root logger", naming no
    variable; and gunicorn read any word it did not know as info. Any other word stops the start
    naming the variable and the levels."""
    level = text.strip().upper()
    if not level:
        return default
    if level not in LOG_LEVELS:
        raise ImproperlyConfigured(f"{name} is {text.strip()!r}; it must be one of {', '.join(LOG_LEVELS)}.")
    return level


def from_environment(env: Any) -> dict[str, Any]:
    """PORTAL_<NAME> for every setting: the environment variable of that name (numbers by
    `read_number`, booleans by `read_flag`, text by django-environ), or the default, an empty
    or blank variable too (django-environ reads an empty boolean as false). For
    `portal/settings.py`."""
    readers = {bool: partial(read_flag, env), str: env.str}
    return {
        s.name: read_number(env, s)
        if type(s.default) in _FORMS
        else readers[type(s.default)](s.name, default=s.default)
        for s in declared()
    }


# The numbers portal/settings.py reads from the environment for Django's own settings and its
# libraries' (the database, the Redis cache, HSTS, the admin's password rule and lockout, the
# log), by `environment_number`: read as the settings above are, their bound checked by the
# same check (portal.E002), with the value read at the start.
_ENVIRONMENT_NUMBERS: dict[str, tuple[Setting[Any], Any]] = {}


def environment_number(
    env: Any,
    name: str,
    default: N,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
) -> N:
    """The environment variable `name` read as a number of the default's type (`read_number`),
    or the default; its bound goes to `portal.checks.settings_in_range` with the value.

    A value past its bound is the check's to refuse, by name, when the portal starts; until
    then the settings take the default, so that what `portal/settings.py` computes from the
    number (a timedelta of 10**12 minutes) cannot stop the start first with a traceback that
    names no variable, and a process no check runs in never uses a value known to be wrong."""
    setting = _named(name, default, at_least=at_least, above=above, at_most=at_most)
    value = read_number(env, setting)
    _ENVIRONMENT_NUMBERS[name] = (setting, value)
    return default if setting.out_of_range(value) else value


def bounded_number(
    environ: Mapping[str, str],
    name: str,
    default: N,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
) -> N:
    """The variable `name` of `environ` (`os.environ`) read as `environment_number` reads it,
    its bound checked here: for code that runs where no system check does, gunicorn's master
    (gunicorn.conf.py, portal/gunicorn_worker.py) before any worker has loaded Django. A value
    in no accepted form or past its bound is ImproperlyConfigured naming the variable, the value
    and what it must be."""
    setting = _named(name, default, at_least=at_least, above=above, at_most=at_most)
    value = _number_of(environ.get(name, ""), setting)
    problem = setting.out_of_range(value)
    if problem:
        raise ImproperlyConfigured(problem)
    return value


def _named(
    name: str, default: Any, *, at_least: float | None, above: float | None, at_most: float | None
) -> Setting[Any]:
    setting: Setting[Any] = Setting(default, at_least=at_least, above=above, at_most=at_most)
    setting.name = name
    return setting


def environment_numbers() -> Iterator[tuple[Setting[Any], Any]]:
    """Each number `environment_number` read, with its bound, and the value read."""
    yield from _ENVIRONMENT_NUMBERS.values()
