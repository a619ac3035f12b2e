"""Brazilian Portuguese: CLDR's medium date (docs/decisions/0114-admin-dates-per-language.md).
Django's month names are capitalised in every form but the abbreviated one ("7 de Dezembro de
2026"); Portuguese writes months lower-case, and CLDR abbreviates them with a full stop."""

DATE_FORMAT = r"j \d\e b. \d\e Y"  # 7 de dez. de 2026
DATETIME_FORMAT = r"j \d\e b. \d\e Y H:i"  # 7 de dez. de 2026 09:08
MONTH_DAY_FORMAT = r"j \d\e b."  # 7 de dez.
