"""Session history for admins: the columns offered and the CSV export
(docs/decisions/0019-takecontrol-session-history.md).

The column codes are the legacy Session History API's `VARS` names
(docs/vendors/takecontrol.md#session-history), which the REST `GET /session/history` is assumed to
share (UNCONFIRMED; see `TakeControlClient.session_history`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from portal.spreadsheet import cell_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Every column an admin may choose, in the order the admin view shows them.
HISTORY_COLUMNS: dict[str, StrOrPromise] = {
    "ID": _("Session ID"),
    "DATE_START": _("Started"),
    "DATE_END": _("Ended"),
    "TECH_NAME": _("Technician"),
    "TECH_USERNAME": _("Technician username"),
    "CUSTOMER_NAME": _("Customer name"),
    "CUSTOMER_EMAIL": _("Customer email"),
    "CUSTOMER_NUMBER": _("Customer number"),
    "COMPUTER_NAME": _("Computer"),
    "COMPUTER_DOMAIN": _("Computer domain"),
    "COMPUTER_OS": _("Operating system"),
    "PROBLEM_DESCRIPTION": _("Problem description"),
    "NOTES": _("Technician notes"),
    "HAS_VIDEOS": _("Recorded"),
    "VIDEO_LINKS": _("Video links"),
}
# What the view selects when the admin has not chosen: enough to find a session, without the
# long free-text columns. CHAT_INFO (an XML transcript) is deliberately not offered: it is
# personal data in bulk and unreadable in a table.
DEFAULT_HISTORY_COLUMNS: tuple[str, ...] = (
    "ID",
    "DATE_START",
    "DATE_END",
    "TECH_NAME",
    "CUSTOMER_NAME",
    "CUSTOMER_EMAIL",
    "COMPUTER_NAME",
)


def cell_value(row: Mapping[str, object], column: str) -> object:
    """A row's value for a column, whichever case the vendor used for the key (UNCONFIRMED)."""
    if column in row:
        return row[column]
    return row.get(column.lower(), "")


def history_csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> str:
    """CSV text: a header row of column codes, then one line per session (RFC 4180, CRLF).

    Cells that a spreadsheet would run as a formula are prefixed with `'`. The caller adds a
    UTF-8 BOM to the download if Excel users need it.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell_text(column) for column in columns])
    for row in rows:
        writer.writerow([cell_text(cell_value(row, column)) for column in columns])
    return out.getvalue()
