"""Who holds data about a customer: each app registers how to export and erase its part.

A privacy request (`manage.py portal_privacy`, or the admin's "Customer records" actions)
asks every registered holder in turn (docs/privacy.md). An app that stores anything about a
customer registers in its AppConfig.ready():

    holders.register("my_app", export=my_export, erase=my_erase, describe=my_erased_text)

`export(subject)` returns JSON-ready data (a list of records); `erase(subject)` removes it and
returns how many records it changed. Neither may log the subject's values. `describe(count)`
says in the admin's language what `count` erased records are ("2 webhook events", through
ngettext), for the message after an erasure; `name` is the export's key and the log's word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """One customer, by email address and/or external key (ticket number)."""

    email: str = ""
    external_key: str = ""

    def __post_init__(self):
        object.__setattr__(self, "email", self.email.strip())
        object.__setattr__(self, "external_key", self.external_key.strip())
        if not (self.email or self.external_key):
            raise ValueError("A privacy request needs an email address or an external key.")


@dataclass(frozen=True)
class Holder:
    name: str
    export: Callable[[Subject], list]
    erase: Callable[[Subject], int]
    describe: Callable[[int], str]


_holders: dict[str, Holder] = {}


def register(
    name: str,
    *,
    export: Callable[[Subject], list],
    erase: Callable[[Subject], int],
    describe: Callable[[int], str],
) -> None:
    _holders[name] = Holder(name=name, export=export, erase=erase, describe=describe)


def all_holders() -> list[Holder]:
    return list(_holders.values())
