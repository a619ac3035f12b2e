"""Italian: CLDR's medium date (docs/decisions/0114-admin-dates-per-language.md). Django's
writes "Lunedì 07 Dicembre 2026", a capitalised weekday and month and a zero-padded day, and
its month names are capitalised in every form but the abbreviated one ("dic")."""

DATE_FORMAT = "j b Y"  # 7 dic 2026
DATETIME_FORMAT = "j b Y, H:i"  # 7 dic 2026, 09:08
MONTH_DAY_FORMAT = "j b"  # 7 dic
