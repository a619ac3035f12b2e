"""API tokens for the integrations API (docs/decisions/0028-api-token-hashing.md): create,
authenticate, revoke.

A token is `sp_` + 43 URL-safe characters (256 random bits). Only its SHA-256 hash and a short
prefix (to tell tokens apart in admin and on the command line) are stored; the token itself is
returned once, by `create_api_token`, and never again. Looking a presented token up by its hash
is the constant-time comparison: the database compares digests of a secret the caller does not
control, so response timing tells nothing about the stored token.

A token's name is an admin's label and, when a chat hand-off sends no computer name, the name the
representative sees (docs/decisions/0116-chat-handoff-computer-name.md): `validate_token_name`,
which the admin's form and `portal_token` apply, refuses what no one can see or read in it.

Authenticated tokens are memoised per process (docs/decisions/0053-api-token-memo.md), under
the site version (portal/caching.py) that every request reads once anyway: the API asks the
shared cache nothing more for its token. Revoking or changing a token, or saving or deleting a
site or backend, renews the site version (ApiToken is in portal/signals.py's WATCHED), so every
worker's memo misses on its next request: a revoked token is refused at once, everywhere. The
memo holds pickled snapshots, so no two requests share (or can change) one model instance, and
it is bounded in size and in age.
"""

from __future__ import annotations

import hashlib
import pickle
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.caching import memo, site_cache_version
from portal.models import ApiToken, Site
from portal.text_rules import has_unshowable, text_problem

TOKEN_PREFIX = "sp_"
PREFIX_LENGTH = 10  # "sp_" + 7 characters: enough to tell tokens apart, useless to guess with
MAX_TOKEN_LENGTH = 100  # anything longer is not ours: refused before hashing
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute

# Snapshots live in the project's one per-process memo (portal/caching.py: bounded in size, and
# in age by SITE_CACHE_SECONDS, what a change can cost if the shared cache loses an
# invalidation, or is per-process: CACHE_URL=locmem://).
MEMO_KEY = "portal:api-token"


UNSHOWABLE_NAME = _(
    "This name contains a character no one can see or read, such as an invisible or control "
    "character or a line break. Please retype it."
)


def validate_token_name(value: str) -> None:
    """Refuses a name with a control character, a bidirectional override or a line break (the
    text rule), or a character a name must not hold (`text_rules.has_unshowable`, as in
    `name_problem`: a zero-width space, a private-use character...). A name of symbols alone
    ("***", "🤖") is an admin's choice of label and is kept, but may not hide such a character
    either; the chat hand-off sends "Chat" for it instead
    (docs/decisions/0116-chat-handoff-computer-name.md)."""
    if text_problem(value) or has_unshowable(value):
        raise ValidationError(UNSHOWABLE_NAME, code="unshowable")


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: `secret` is the only copy of the token; show it once."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_token(*, site: Site, name: str) -> NewToken:
    """A new token for `site` under `name`, held to `validate_token_name` as the admin's form
    and `portal_token` hold it (ValidationError): whoever calls this service gets the same rule."""
    validate_token_name(name)
    return save_new_token(token=ApiToken(site=site, name=name))


def save_new_token(*, token: ApiToken) -> NewToken:
    """Give an unsaved token (site and name set, e.g. by the admin's add form) its secret and
    save it. The secret is in the result only."""
    if token.pk is not None:
        raise ValueError("a saved token keeps its secret; create a new token instead")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.prefix = secret[:PREFIX_LENGTH]
    token.token_hash = hash_token(secret)
    token.save()
    return NewToken(token=token, secret=secret)


def revoke_api_token(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Revoke the token; False when it was revoked already (the first revocation time stays)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or timezone.now()
    token.save(update_fields=["revoked_at"])
    return True


def authenticate_token(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token for a presented secret, with its site and backend; None if unknown,
    malformed or revoked. Notes the use, at most once per `LAST_USED_RESOLUTION`.

    From the memo when this process saw the token under the current site version (read once
    per request, so nothing more to ask the shared cache); else from the database. Unknown
    secrets are not memoised: they cost a lookup.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(secret)
    generation = _generation()
    key = (MEMO_KEY, generation, digest)
    snapshot = memo.get(key) if generation else None
    if snapshot is not None:
        token = pickle.loads(snapshot)  # this request's own instances
    else:
        token = (
            ApiToken.objects.select_related("site__backend")
            .filter(token_hash=digest, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent requests (and workers) do not write the same minute
        # twice. No signal: noting a use invalidates nothing.
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
            last_used_at=now
        )
        token.last_used_at = now
        snapshot = None  # store the new last use
    if snapshot is None and generation:
        memo.set(key, pickle.dumps(token))
    return token


def _generation() -> str:
    """The site version the memo's keys carry, "" when the shared cache cannot be read (then
    nothing is memoised: a cache outage costs a database lookup, never a refusal)."""
    try:
        return site_cache_version()
    except Exception:
        return ""
