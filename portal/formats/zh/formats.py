"""Traditional Chinese: Django's zh_Hant formats (portal/formats/__init__.py)."""

from django.conf.locale.zh_Hant.formats import *  # type: ignore[import-untyped]  # noqa: F403

# The month unpadded, as CLDR writes it and Django's own DATE_FORMAT does ("5月7日", not
# "05月7日"): docs/decisions/0114-admin-dates-per-language.md.
MONTH_DAY_FORMAT = "n月j日"
