"""API tokens for the integrations API (docs/decisions/0028-api-token-hashing.md): create,
authenticate, revoke.

A token is `sp_` + 43 URL-safe characters (256 random bits). Only its SHA-256 hash and a short
prefix (to tell tokens apart in admin and on the command line) are stored; the token itself is
returned once, by `create_api_token`, and never again. Looking a presented token up by its hash
is the constant-time comparison: the database compares digests of a secret the caller does not
control, so response timing tells nothing about the stored token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from portal.models import ApiToken, Site

TOKEN_PREFIX = "sp_"
PREFIX_LENGTH = 10  # "sp_" + 7 characters: enough to tell tokens apart, useless to guess with
MAX_TOKEN_LENGTH = 100  # anything longer is not ours: refused before hashing
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: `secret` is the only copy of the token; show it once."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_token(*, site: Site, name: str) -> NewToken:
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
    malformed or revoked. Notes the use, at most once per `LAST_USED_RESOLUTION`."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("site__backend")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent requests do not write the same minute twice.
        ApiToken.objects.filter(pk=token.pk).exclude(
            last_used_at__gt=now - LAST_USED_RESOLUTION
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
