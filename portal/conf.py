"""Every PORTAL_* setting the portal's code reads, with its default and meaning, in one place
(django-allauth's `app_settings` style; docs/decisions/0086-settings-defaults-in-portal-conf.md).

Code reads `portal_settings.RATE_LIMIT`, never `settings.PORTAL_RATE_LIMIT` or a `getattr` with
a default of its own. Each read asks `django.conf.settings` at that moment, so
`override_settings(PORTAL_RATE_LIMIT=...)` in a test applies at once. `portal.settings` takes
each value from the environment variable of the same name (`from_environment`), falling back
to the default here; the environment variables that configure Django itself (database, cache,
hosts, HTTPS, time zone, logging) stay in `portal/settings.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T", bool, int, float, str)
PREFIX = "PORTAL_"


class Setting(Generic[T]):
    """One PORTAL_<NAME> setting: read from Django's settings when asked, else its default,
    as the default's type (a test may override a float with an int). A number may be bound
    below (`at_least`, or `above` for a value that must exceed it), past which it means nothing
    sound: a limit of 0 refuses every request, a timeout of 0 waits for nothing.
    `portal.checks.settings_in_range` refuses such a value when the portal starts."""

    def __init__(self, default: T, *, at_least: float | None = None, above: float | None = None) -> None:
        self.default: T = default
        self.at_least, self.above = at_least, above
        self.name = ""

    def out_of_range(self, value: Any) -> str:
        """What is wrong with `value` for this setting, or "" when nothing is. Numbers are
        written as an operator types them ("0", "0.5"), not as Python reads them ("0.0")."""
        if self.at_least is not None and value < self.at_least:
            return f"{self.name} is {value:g}; it must be at least {self.at_least:g}."
        if self.above is not None and value <= self.above:
            return f"{self.name} is {value:g}; it must be more than {self.above:g}."
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


def from_environment(env: Any) -> dict[str, Any]:
    """PORTAL_<NAME> for every setting: the environment variable of that name, read by
    django-environ as the default's type, or the default. For `portal/settings.py`.

    A value that is no number stops the start naming the variable (ImproperlyConfigured), not
    with int()'s "invalid literal" that names neither; a number past its bound is
    `portal.checks.settings_in_range`'s (portal.E002)."""
    readers = {bool: env.bool, int: env.int, float: env.float, str: env.str}
    values = {}
    for s in declared():
        try:
            values[s.name] = readers[type(s.default)](s.name, default=s.default)
        except ValueError:
            raise ImproperlyConfigured(
                f"{s.name} is {env.str(s.name)!r}; it must be {_EXPECTED[type(s.default)]}."
            ) from None
    return values
