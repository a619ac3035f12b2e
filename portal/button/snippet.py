"""The one-line snippet of the "get remote help" button, with the portal's address filled in
(README, "Get-help button"; tests/test_button.py checks the README shows this very output)."""

from __future__ import annotations

from django.conf import settings


def button_snippet(*, origin: str) -> str:
    static_url = settings.STATIC_URL
    if "://" not in static_url:  # served by the portal itself, under its own origin
        static_url = origin + "/" + static_url.lstrip("/")
    return (
        f'<script src="{static_url}portal/button.js" async\n'
        '        data-external-key="INC0012345" data-name="Jane Doe"></script>'
    )
