"""Simplified Chinese: Django's own zh_Hans formats, found here before `zh`'s
(portal/formats/__init__.py)."""

from django.conf.locale.zh_Hans.formats import *  # type: ignore[import-untyped]  # noqa: F403
