"""Bearer auth for the integrations API: the hashed tokens of `portal.tokens`
(docs/decisions/0028-api-token-hashing.md), the per-token rate limit, and (for the endpoints
that call the appliance) a site whose backend is a BeyondTrust appliance with API credentials.

No cookies and no sessions: a browser cannot attach a Bearer header on its own, so a forged
cross-site request carries no credentials, which is why django-ninja's views are CSRF-exempt.
A failure raises `ApiError`; django-ninja hands it to the API's handler (`portal.api.api`).
"""

from __future__ import annotations

from ninja.security import HttpBearer

from portal import guards
from portal.api.errors import ApiError
from portal.conf import portal_settings
from portal.models import ApiToken
from portal.tokens import authenticate_token


def unauthorized(message: str, *, token_presented: bool) -> ApiError:
    challenge = 'Bearer realm="support-portal"'
    if token_presented:
        challenge += ', error="invalid_token"'
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def throttle(token: ApiToken) -> None:
    """Per-token limit: the appliance allows an API account 20 requests a second and 15,000 an
    hour (docs/vendors/beyondtrust.md#limits), shared with the customers' rep list; one
    integration's loop must not use that up. A sliding minute estimated from two counters, so a
    burst across the turn of a minute is refused too (docs/decisions/0111-sliding-api-rate-limit.md)."""
    wait = guards.over_sliding_limit(f"api:{token.pk}", limit=portal_settings.API_RATE_LIMIT, window=60)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            "Too many requests for this token; slow down.",
            headers={"Retry-After": str(wait)},
        )


def require_beyondtrust(token: ApiToken, *, session_keys: bool = False) -> None:
    """The token's site must have a BeyondTrust site's rep list, and for `session_keys` an
    appliance that makes them (a Preview backend shows URLs and calls nobody). A backend that
    calls an appliance needs its API credentials; a Preview backend lists its sample
    representatives, as its public rep list does."""
    backend = token.site.backend
    if not backend.is_beyondtrust:
        raise ApiError(
            403,
            "forbidden",
            "This site's backend is not a BeyondTrust appliance; this call needs one "
            "(POST /api/v1/prefill-links works on every site).",
        )
    if session_keys and not backend.adapter.offers_session_keys:
        raise ApiError(
            403,
            "forbidden",
            "This site's backend makes no session keys; session keys and chat hand-offs need "
            "a BeyondTrust appliance.",
        )
    if backend.adapter.needs_api_credentials and not (
        backend.base_url and backend.client_id and backend.client_secret
    ):
        raise ApiError(
            403,
            "forbidden",
            "This site's BeyondTrust backend has no API credentials; an admin must add them.",
        )


class BearerToken(HttpBearer):
    """`Authorization: Bearer sp_...`; `request.auth` is the token, with its site and backend.

    In this order, as the contract says: 401 (no or unknown token), 429 (over the token's
    limit), 403 (the site cannot do this), and only then the body (413, 415, 400).
    """

    openapi_description = "An API token, `sp_` followed by 43 characters."

    def __init__(self, *, beyondtrust: bool = False, session_keys: bool = False):
        super().__init__()
        self.beyondtrust = beyondtrust or session_keys
        self.session_keys = session_keys

    def __call__(self, request) -> ApiToken:
        header = request.META.get("HTTP_AUTHORIZATION", "")  # not request.headers: it copies every header
        scheme, _sep, secret = header.partition(" ")
        if not header:
            raise unauthorized(
                "Send the API token as 'Authorization: Bearer <token>'.", token_presented=False
            )
        if scheme.lower() != "bearer" or not secret.strip():
            raise unauthorized(
                "Use the Bearer scheme: 'Authorization: Bearer <token>'.", token_presented=False
            )
        return self.authenticate(request, secret.strip())

    def authenticate(self, request, token: str) -> ApiToken:
        found = authenticate_token(token)
        if found is None:
            raise unauthorized("The API token is unknown or revoked.", token_presented=True)
        throttle(found)
        if self.beyondtrust:
            require_beyondtrust(found, session_keys=self.session_keys)
        return found


ANY_SITE = BearerToken()
BEYONDTRUST_SITE = BearerToken(beyondtrust=True)
SESSION_KEY_SITE = BearerToken(session_keys=True)  # POST session-keys and chat-handoffs
