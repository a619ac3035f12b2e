"""A fake BeyondTrust Remote Support appliance on a real local HTTP server.

It answers `/oauth2/token`, `/api/command` and `/check_health` the way
docs/vendors/beyondtrust.md#oauth and docs/vendors/beyondtrust.md#command-api describes, with XML
documents read from `tests/data/beyondtrust/`, in the BeyondTrust or the old Bomgar namespace. Tests
switch it into failure modes and then read what it received:

    with running(FakeBeyondTrust(namespace="bomgar")) as fake:
        fake.fail("http500", action="get_logged_in_reps")
        ...
        assert fake.count("get_logged_in_reps") == 1
        assert fake.tokens_minted == 1

Modes (`fake.fail(mode, action=None)`; `action=None` means every command):
  http500       HTTP 500 with an HTML body
  http429       HTTP 429, rate limited (the status is UNCONFIRMED, docs/vendors/beyondtrust.md#limits)
  http404       HTTP 404 with an HTML body (a path the appliance does not serve: the XML API off)
  http400_document  HTTP 400 with the action's normal document: the status alone says failure
  error_root    200 with a bare `<error>` document
  error_child   200 with `<error>` inside the normal root
  malformed     200 with truncated XML
  bomb          200 with a billion-laughs document
  xxe           200 with an external entity
  json          200 with a JSON body instead of XML
  oversized     200 with the action's normal document, padded by a comment to OVERSIZED_BYTES
                (one byte past the 5 MB both vendor clients read)
Other controls: `fake.serve(action, "file.xml")` answers with another document;
`fake.hang()` accepts every request and never answers (until `fake.release()`);
`fake.hold()` answers every request only after `fake.release()`;
`fake.state["token_gate"] = threading.Event()` holds every token request until the test sets it;
`fake.state["token_status"] = 503` breaks the token endpoint; `fake.revoke_tokens()` and
`fake.expire_tokens()` invalidate what was minted; `fake.state["expires_in"]` sets the lifetime;
`fake.state["healthy"] = False` makes `GET /check_health` answer 500;
`fake.state["reject_gates"] = [None, threading.Event()]` holds successive bad-token answers
(None: at once) until the test sets that event.
Bad tokens are answered as `fake.state["bad_token_reply"]` says: "json401" (the documented
access_denied JSON, with 401), "json403", or "xml" (200 with an XML `<error>` about the token).
All three are UNCONFIRMED guesses at the real appliance (docs/vendors/beyondtrust.md#oauth).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from pathlib import Path

from tests.fakes.server import FakeServer, FakeVendorHandler, Recorded, Reply

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "beyondtrust"
BEYONDTRUST_NS = "https://www.beyondtrust.com/namespaces/API/command"
NAMESPACES = {
    "beyondtrust": BEYONDTRUST_NS,
    "bomgar": "http://www.bomgar.com/namespaces/API/command",
}
TOKEN_LIMIT = 30  # docs/vendors/beyondtrust.md#oauth: a 31st token silently invalidates the oldest
GATE_SECONDS = 20  # a token_gate the test never opens fails the test, it does not hang it

DOCUMENTS = {
    "get_logged_in_reps": "logged_in_reps.xml",
    "get_support_teams": "support_teams.xml",
    "generate_session_key": "session_key.xml",
    "create_virtual_customer": "virtual_customer.xml",
    "get_api_info": "api_info.xml",
    "check_health": "check_health.xml",
}
FAILURES = {
    "error_root": "error_root.xml",
    "error_child": "error_child.xml",
    "malformed": "malformed.xml",
    "bomb": "billion_laughs.xml",
    "xxe": "external_entity.xml",
}
REQUIRED = {
    "generate_session_key": ("type", "queue_id"),
    "create_virtual_customer": ("short_key", "name", "ip_address", "operating_system", "computer_name"),
}


def document(name: str, *, namespace: str = "beyondtrust") -> str:
    """A test document, in the namespace asked for ("none" removes it)."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    if namespace == "none":
        return text.replace(f' xmlns="{BEYONDTRUST_NS}"', "")
    return text.replace(BEYONDTRUST_NS, NAMESPACES[namespace])


class BeyondTrustHandler(FakeVendorHandler):
    server: FakeBeyondTrust

    def route(self, request: Recorded) -> Reply:
        if request.path == "/oauth2/token":
            return self.server.token_reply(request)
        if request.path == "/api/command":
            return self.server.command_reply(request)
        if request.path == "/check_health" and request.method == "GET":
            return Reply(200 if self.server.state["healthy"] else 500, b"", "text/plain")
        return Reply(404, b"not found", "text/plain")


class FakeBeyondTrust(FakeServer):
    # socketserver's default backlog of 5 drops connections when 20 threads call at once, and
    # the client then waits a full SYN retry (1 s): an appliance has a real backlog.
    request_queue_size = 128

    def __init__(
        self,
        *,
        client_id: str = "portal-client",
        client_secret: str = "s3cret-Value-never-logged",
        namespace: str = "beyondtrust",
        expires_in: int = 3600,
    ):
        super().__init__(BeyondTrustHandler)
        self.client_id = client_id
        self.client_secret = client_secret
        self.state.update(
            namespace=namespace,
            expires_in=expires_in,
            token_gate=None,  # a threading.Event /oauth2/token waits for (at most GATE_SECONDS)
            token_status=None,  # e.g. 500 to break the token endpoint
            tokens={},  # token -> expiry (time.time()), oldest first
            minted=0,
            failures={},  # action (or None for all) -> mode
            documents={},  # action -> file name under tests/data/beyondtrust
            bad_token_reply="json401",
            reject_gates=[],  # events successive bad-token answers wait for (None: at once)
            healthy=True,
        )
        self._serial = itertools.count(1)

    # --- Test controls ---------------------------------------------------------------------------

    def fail(self, mode: str | None, *, action: str | None = None) -> None:
        """Answer `action` (or every command) in a failure mode; `None` heals it."""
        with self.lock:
            if mode is None:
                self.state["failures"].pop(action, None)
            else:
                self.state["failures"][action] = mode

    def serve(self, action: str, name: str) -> None:
        """Answer `action` with another document from tests/data/beyondtrust/."""
        with self.lock:
            self.state["documents"][action] = name

    def revoke_tokens(self) -> None:
        """What regenerating the client secret does to every token
        (docs/vendors/beyondtrust.md#pitfalls)."""
        with self.lock:
            self.state["tokens"].clear()

    def expire_tokens(self) -> None:
        with self.lock:
            self.state["tokens"] = {token: 0.0 for token in self.state["tokens"]}

    @property
    def tokens_minted(self) -> int:
        with self.lock:
            return self.state["minted"]

    @property
    def valid_tokens(self) -> list[str]:
        now = time.time()
        with self.lock:
            return [t for t, expiry in self.state["tokens"].items() if expiry > now]

    def token_requests(self) -> list[Recorded]:
        return self.calls("/oauth2/token")

    def commands(self, action: str | None = None) -> list[Recorded]:
        """Recorded /api/command requests, optionally only those for `action`."""
        return [r for r in self.calls("/api/command") if action is None or _action(r) == action]

    def count(self, action: str) -> int:
        return len(self.commands(action))

    # --- Answers -------------------------------------------------------------------------------

    def token_reply(self, request: Recorded) -> Reply:
        if self.state["token_gate"] is not None:
            self.state["token_gate"].wait(GATE_SECONDS)
        if self.state["token_status"]:
            return Reply(self.state["token_status"], b"<html>Service Unavailable</html>", "text/html")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.method != "POST" or request.headers.get("authorization") != f"Basic {expected}":
            return _json(401, {"error": "invalid_client", "message": "Client authentication failed."})
        if request.form.get("grant_type") != ["client_credentials"]:
            return _json(400, {"error": "unsupported_grant_type"})
        token = f"tok-{next(self._serial)}-{time.time_ns() % 1_000_000:06d}"
        with self.lock:
            self.state["minted"] += 1
            tokens = self.state["tokens"]
            tokens[token] = time.time() + self.state["expires_in"]
            while len(tokens) > TOKEN_LIMIT:
                tokens.pop(next(iter(tokens)))
        return _json(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.state["expires_in"]}
        )

    def command_reply(self, request: Recorded) -> Reply:
        authorization = request.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
        with self.lock:
            valid = self.state["tokens"].get(token, 0.0) > time.time()
        if not valid:
            return self._bad_token()
        params = {**request.query, **request.form}
        action = (params.get("action") or [""])[0]
        with self.lock:
            failures = self.state["failures"]
            mode = failures.get(action, failures.get(None))
            name = self.state["documents"].get(action) or DOCUMENTS.get(action)
        if mode == "http500":
            return Reply(500, b"<html><body>Internal Server Error</body></html>", "text/html")
        if mode == "http429":
            return Reply(
                429,
                b"Too Many Requests",
                "text/plain",
                {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"},
            )
        if mode == "http404":
            return Reply(404, b"<html><body>Not Found</body></html>", "text/html")
        if mode == "http400_document" and name is not None:
            return Reply(400, document(name, namespace=self.state["namespace"]))
        if mode == "json":
            return _json(200, {"reps": []})
        if mode == "oversized" and name is not None:
            body = document(name, namespace=self.state["namespace"]).encode()
            padding = b"<!--" + b"x" * max(0, OVERSIZED_BYTES - len(body) - 7) + b"-->"
            return Reply(200, body + padding)
        if mode:
            return self._xml(FAILURES[mode])
        if name is None:
            return self._xml("error_invalid_action.xml")
        if any(not (params.get(p) or [""])[0] for p in REQUIRED.get(action, ())):
            return self._xml("error_root.xml")
        text = document(name, namespace=self.state["namespace"])
        if action == "get_support_teams" and "showmembers" not in params:
            text = re.sub(r"<members>.*?</members>|<members/>", "", text, flags=re.S)
        return Reply(200, text)

    def _bad_token(self) -> Reply:
        with self.lock:
            gates = self.state["reject_gates"]
            gate = gates.pop(0) if gates else None
        if gate is not None:
            gate.wait(GATE_SECONDS)
        reply = self.state["bad_token_reply"]
        if reply == "xml":
            return self._xml("error_token.xml")
        denied = {
            "error": "access_denied",
            "message": "The resource owner or authorization server denied the request.",
        }
        return _json(403 if reply == "json403" else 401, denied)

    def _xml(self, name: str) -> Reply:
        return Reply(200, document(name, namespace=self.state["namespace"]))


OVERSIZED_BYTES = 5 * 1024 * 1024 + 1


def _action(request: Recorded) -> str:
    return ({**request.query, **request.form}.get("action") or [""])[0]


def _json(status: int, payload: dict) -> Reply:
    return Reply(status, json.dumps(payload), "application/json")
