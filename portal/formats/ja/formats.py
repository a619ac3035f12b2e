"""Japanese: a space between the date and the time, as CLDR has it
(docs/decisions/0114-admin-dates-per-language.md); Django's ran them together ("2026年12月7日9:08")."""

DATETIME_FORMAT = "Y年n月j日 G:i"  # 2026年12月7日 9:08
