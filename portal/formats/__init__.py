"""Date and number formats for the portal codes Django's format modules name otherwise
(settings.FORMAT_MODULE_PATH): Traditional Chinese is `zh` here and `zh_Hant` in Django, as its
catalogs are (portal/i18n_fallbacks.py).

Django looks in these modules before its own, first under the full locale name and then under
its language alone, so `zh_Hans` needs its module here as well: otherwise `zh` would be found
for it before Django's own `zh_Hans`.
"""
