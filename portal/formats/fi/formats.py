"""Finnish: a day and month take the month's partitive, as CLDR and Django's own DATE_FORMAT
write it (docs/decisions/0114-admin-dates-per-language.md); Django's wrote "7. joulukuu"."""

MONTH_DAY_FORMAT = "j. E"  # 7. joulukuuta
