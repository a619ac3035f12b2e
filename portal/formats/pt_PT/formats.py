"""European Portuguese: as Brazilian (portal/formats/pt_BR/formats.py), with CLDR's comma
between the date and the time (docs/decisions/0114-admin-dates-per-language.md)."""

from portal.formats.pt_BR.formats import DATE_FORMAT, MONTH_DAY_FORMAT

__all__ = ["DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT"]

DATETIME_FORMAT = r"j \d\e b. \d\e Y, H:i"  # 7 de dez. de 2026, 09:08
