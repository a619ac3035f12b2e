"""Turkish: the day unpadded, as CLDR writes it (docs/decisions/0114-admin-dates-per-language.md);
Django's wrote "07 Aralık 2026" and the short date as "07 Ara 2026"."""

DATE_FORMAT = "j F Y"  # 7 Aralık 2026
DATETIME_FORMAT = "j F Y H:i"  # 7 Aralık 2026 09:08
MONTH_DAY_FORMAT = "j F"  # 7 Aralık
SHORT_DATE_FORMAT = "j.m.Y"  # 7.12.2026
SHORT_DATETIME_FORMAT = "j.m.Y H:i"  # 7.12.2026 09:08
