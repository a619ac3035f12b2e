"""Traditional Chinese: Django's zh_Hant formats (portal/formats/__init__.py)."""

from django.conf.locale.zh_Hant.formats import *  # type: ignore[import-untyped]  # noqa: F403
