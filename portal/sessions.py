"""The session engine: Django's database sessions, with keys only of the characters Django makes
(docs/decisions/0090-no-nul-reaches-postgresql.md).

A session key comes from the `sessionid` cookie, which a client writes: Django checks only its
length before looking it up, and a cookie's quoted value may carry octal escapes, so
`sessionid="…\\000"` reaches the query as a NUL, which PostgreSQL's text refuses with an error
(a 500). Here such a key is no key: the request goes on without a session, as with an unknown one.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and KEY_CHARS.issuperset(key)
