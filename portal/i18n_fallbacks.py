"""Django's own words for the portal codes Django's catalogs do not know by that name.

The portal's language codes are the vendors' (portal/languages.py). Django finds a catalog by
the code's locale name, and falls back only from a region to its language (`es-sp` finds
Django's `es`); Traditional Chinese is `zh` here and `zh_Hant` in Django, so its admin, its
form messages and the messages of every Django app stayed English beside the portal's own
Chinese. `make messages` (and the Dockerfile) runs this module after compiling the portal's
catalogs: it merges the installed Django's `zh_Hant` catalogs (core and contrib, both domains)
into `portal/locale_fallback/zh/`, which settings.LOCALE_PATHS lists after `portal/locale`, so
the portal's own translations win wherever both have a message.

    python -m portal.i18n_fallbacks

Only the installed packages are read: nothing is downloaded. The compiled files are build
output (gitignored, as every .mo is).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

OUTPUT = Path(__file__).resolve().parent / "locale_fallback"
# portal code (its locale name under portal/locale) -> Django's locale name for the language.
# `zh_Hans` is Django's own name, but gettext looks for a catalog under every form of a locale
# name, `zh` included, so without its own folder here Simplified Chinese would find `zh`'s
# Traditional words before Django's.
ALIASES = {"zh": "zh_Hant", "zh_Hans": "zh_Hans"}
PACKAGES = ("django",)  # whose catalogs, under every `locale` folder in the package
DOMAINS = ("django", "djangojs")


def package_root(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def merged(django_locale: str, domain: str) -> Catalog:
    """Every catalog of `domain` the packages ship for the locale, in path order; where two
    translate one message (core and the admin both say "Log in"), the later one wins."""
    catalog = Catalog(locale=django_locale, domain=domain)
    for package in PACKAGES:
        for path in sorted(package_root(package).glob(f"**/locale/{django_locale}/LC_MESSAGES/{domain}.po")):
            with path.open("rb") as handle:
                source = read_po(handle, locale=catalog.locale, domain=domain)
            for message in source:
                if message.id and message.string and not message.fuzzy:
                    catalog[message.id] = message
    return catalog


def build() -> list[Path]:
    written = []
    for code, django_locale in ALIASES.items():
        folder = OUTPUT / code / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        for domain in DOMAINS:
            target = folder / f"{domain}.mo"
            with target.open("wb") as handle:
                write_mo(handle, merged(django_locale, domain))
            written.append(target)
    return written


if __name__ == "__main__":
    build()
