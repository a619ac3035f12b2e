"""Date and number formats for the portal codes Django's format modules name otherwise
(settings.FORMAT_MODULE_PATH): Traditional Chinese is `zh` here and `zh_Hant` in Django, as its
catalogs are (portal/i18n_fallbacks.py). The other modules here override only the formats
that read wrong in their language (docs/decisions/0114-admin-dates-per-language.md).

Django looks in these modules before its own, first under the full locale name and then under
its language alone, so `zh_Hans` needs its module here as well: otherwise `zh` would be found
for it before Django's own `zh_Hans`.
"""
