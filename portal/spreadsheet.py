"""CSV cells a spreadsheet shows as text, never runs: one rule for every CSV download (the Take
Control session history, the start records)."""

from __future__ import annotations

import json
from collections.abc import Mapping

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection");
# tab and carriage return are included because some spreadsheets strip them and then see `=`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: object) -> str:
    """The cell for a value; text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return str(value)  # a number is never a formula, even when negative
    if isinstance(value, (list, tuple)):
        value = " ".join(cell_text(item) for item in value)
    elif isinstance(value, Mapping):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading apostrophe makes spreadsheets show the text instead of evaluating it.
        return "'" + text
    return text
