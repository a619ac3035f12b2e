"""Russian: a day and month take the month's genitive, as CLDR writes it
(docs/decisions/0114-admin-dates-per-language.md); Django's wrote the nominative, capitalised
("7 Декабрь")."""

MONTH_DAY_FORMAT = "j E"  # 7 декабря
