"""A fake N-able Take Control account on `tests/fakes/server.py`.

Endpoints (docs/vendors/takecontrol.md#rest-create-session,
docs/vendors/takecontrol.md#new-session-url and docs/vendors/takecontrol.md#session-history):
- `POST /rest/session` — needs `INTEGRATION-KEY: <public key>` and a JSON object with only the
  documented fields, each of the right type and within the limits; answers the SUCCESS envelope
  from `tests/data/takecontrol/session_created.json` and keeps each accepted body in
  `server.state["sessions"]`.
- `GET /rest/session/history` — needs the private key and a JSON body `{"vars": "A B",
  "filters": {...}}`; answers rows from `session_history.json`, trimmed to the asked columns.
- `GET /integration/integration_api.php` — needs `uid` and takes the documented parameters only,
  each once and by the create-session body's rules (`new_session_problem`); answers an HTML page
  standing in for the applet download, or a 400 page saying what it refused. The query is in the
  server's recorded request.

Switch behaviour with `server.use(*modes)`: each call to a REST endpoint takes the next mode;
when they run out, `server.state["mode"]` (default "ok") applies. Modes:
"ok", "ok-with-link", "ok-with-wait" (the SUCCESS envelope with `details.estimated_waiting_time`
set to `state["estimated_wait"]` exactly as given, any JSON value; left out when that is
`NO_WAIT`), "400", "403", "429" (with `Retry-After: state["retry_after"]`, default
"0"), "429-no-retry-after", "429-date" (an HTTP date `state["retry_after"]` seconds ahead),
"500", "redirect" (302 to another host), "malformed" (broken JSON), "not-json" (an HTML
page), "error-200" (ERROR envelope with 200), "oversized" (a valid SUCCESS envelope of
`OVERSIZED_BYTES`, over the client's cap). `server.hold()` makes every answer wait for the test.

Use in a test (the `takecontrol_server` fixture is in `tests/conftest.py`):

    def test_something(takecontrol_server):
        backend = Backend(kind="takecontrol", base_url=takecontrol_server.rest_url,
                          tc_public_key=takecontrol_server.public_key, ...)
"""

from __future__ import annotations

import json
import re
import sys
import threading
from email.utils import formatdate
from pathlib import Path
from time import time
from typing import TYPE_CHECKING, Any

from portal.vendors import limits
from tests.fakes.server import FakeServer, FakeVendorHandler, Recorded, Reply

if TYPE_CHECKING:
    from portal.models import Backend

DATA = Path(__file__).resolve().parent.parent / "data" / "takecontrol"
PUBLIC_KEY = "02.fake-public-key-Zm9vYmFy"
PRIVATE_KEY = "02.fake-private-key-YmF6cXV4"
UID = "20ea03c4-5b1d-4c7e-9f00-1234567890ab|2109"

SESSION_PATH = "/rest/session"
HISTORY_PATH = "/rest/session/history"
NEW_SESSION_PATH = "/integration/integration_api.php"

# The documented create-session fields and what each must be
# (docs/vendors/takecontrol.md#rest-create-session). The REST limits are UNCONFIRMED; the fake
# applies the legacy ones, as the portal does.
_STRING_LIMITS = {
    "technician_username": 254,
    "language": 2,
    "customer_name": limits.TC_NAME_MAX_CHARS,
    "customer_email": limits.TC_EMAIL_MAX_CHARS,
    "customer_number": limits.TC_NUMBER_MAX_CHARS,
    "problem_description": limits.TC_DESCRIPTION_MAX_CHARS,
}
_FLAGS = ("ask_customer_info", "show_waiting_queue")
SESSION_FIELDS = frozenset({"department_id", *_STRING_LIMITS, *_FLAGS})
NO_WAIT = object()  # state["estimated_wait"] for an answer without the key
OVERSIZED_BYTES = 5 * 1024 * 1024 + 1  # one byte past the 5 MB both vendor clients read


def takecontrol_backend(base_url: str, **fields: Any) -> Backend:
    """A Take Control backend on the account these fakes stand for (its uid and both keys),
    at `base_url` (a fake server's `rest_url`, or an address nothing is asked at); `fields`
    add to them or replace them."""
    from portal.models import Backend

    return Backend.objects.create(
        **{
            "name": "Take Control",
            "kind": Backend.Kind.TAKECONTROL,
            "base_url": base_url,
            "tc_uid": UID,
            "tc_public_key": PUBLIC_KEY,
            "tc_private_key": PRIVATE_KEY,
            **fields,
        }
    )


def document(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _json_reply(status: int, name: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, document(name), "application/json; charset=utf-8", headers or {})


def _rejected(message: str) -> Reply:
    body = {
        "result": "ERROR",
        "details": None,
        "errorDetails": {"errorCode": 400, "errorMsg": message},
    }
    return Reply(400, json.dumps(body), "application/json; charset=utf-8")


def session_body_problem(body: object) -> str:
    """Why the vendor would refuse this create-session body, or "" when it is acceptable."""
    if not isinstance(body, dict):
        return "The body must be a JSON object"
    unknown = sorted(set(body) - SESSION_FIELDS)
    if unknown:
        return f"Unknown field: {unknown[0]}"
    if "department_id" in body and (type(body["department_id"]) is not int or body["department_id"] < 1):
        return "department_id must be a positive integer"
    for name, limit in _STRING_LIMITS.items():
        if name in body and (not isinstance(body[name], str) or not body[name] or len(body[name]) > limit):
            return f"Badly formatted field: {name}"
    if "language" in body and not re.fullmatch(r"[a-z]{2}", body["language"]):
        return "Badly formatted field: language"
    for name in ("customer_email", "technician_username"):
        if name in body and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", body[name]):
            return f"Badly formatted field: {name}"
    for name in _FLAGS:
        if name in body and (type(body[name]) is not int or body[name] not in (0, 1)):
            return f"Badly formatted field: {name}"
    return ""


# The New Session URL's parameters (docs/vendors/takecontrol.md#new-session-url) and the REST
# body field each has the same rules as.
NEW_SESSION_PARAMETERS = {
    "department": "department_id",
    "tech": "technician_username",
    "customer_name": "customer_name",
    "customer_email": "customer_email",
    "customer_number": "customer_number",
    "problem_description": "problem_description",
    "ask_customer_info": "ask_customer_info",
}


def new_session_problem(query: dict[str, list[str]]) -> str:
    """Why the vendor would refuse this New Session query, or "" when it is acceptable: the
    create-session body's rules, by the URL's names (all values are text in a URL)."""
    if [len(values) for values in query.values()] != [1] * len(query):
        return "A parameter is repeated"
    values = {name: values[0] for name, values in query.items()}
    if not values.pop("uid", ""):
        return "Missing uid"
    unknown = sorted(set(values) - set(NEW_SESSION_PARAMETERS))
    if unknown:
        return f"Unknown parameter: {unknown[0]}"
    body: dict[str, Any] = {NEW_SESSION_PARAMETERS[name]: value for name, value in values.items()}
    for name in ("department_id", "ask_customer_info"):
        if name in body:
            if not re.fullmatch(r"[0-9]{1,18}", body[name]):
                return f"Badly formatted field: {name}"
            body[name] = int(body[name])
    return session_body_problem(body)


class FakeTakeControlHandler(FakeVendorHandler):
    server: FakeTakeControlServer

    def route(self, request: Recorded) -> Reply:
        if request.path == NEW_SESSION_PATH and request.method in {"GET", "POST"}:
            problem = new_session_problem(request.query)
            if problem:
                return Reply(400, f"<p>{problem}</p>", "text/html; charset=utf-8")
            return Reply(200, document("integration_api.html"), "text/html; charset=utf-8")
        if request.path == SESSION_PATH and request.method == "POST":
            return self.server.scripted(request, self.create_session)
        if request.path == HISTORY_PATH and request.method == "GET":
            return self.server.scripted(request, self.session_history)
        return Reply(404, json.dumps({"message": "Not Found"}), "application/json")

    def create_session(self, request: Recorded) -> Reply:
        if request.headers.get("integration-key") != self.server.public_key:
            return _json_reply(403, "error_403.json")
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _rejected("Content-Type must be application/json")
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _rejected("Malformed JSON")
        problem = session_body_problem(body)
        if problem:
            return _rejected(problem)
        with self.server.lock:
            self.server.state["sessions"].append(body)
        return _json_reply(200, "session_created.json")

    def session_history(self, request: Recorded) -> Reply:
        # A public key may only create sessions and tickets
        # (docs/vendors/takecontrol.md#keys-and-authentication).
        if request.headers.get("integration-key") != self.server.private_key:
            return _json_reply(403, "error_403.json")
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _rejected("Malformed JSON")
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("vars"), str)
            or not isinstance(body.get("filters", {}), dict)
        ):
            return _rejected("vars and filters are required")
        wanted = body["vars"].split()
        envelope = json.loads(document("session_history.json"))
        envelope["details"]["sessions"] = [
            {name: row.get(name) for name in wanted} for row in envelope["details"]["sessions"]
        ]
        return Reply(200, json.dumps(envelope, ensure_ascii=False), "application/json; charset=utf-8")


class FakeTakeControlServer(FakeServer):
    public_key = PUBLIC_KEY
    private_key = PRIVATE_KEY
    uid = UID

    def __init__(self):
        super().__init__(FakeTakeControlHandler)
        self.state.update(mode="ok", script=[], retry_after="0", sessions=[], estimated_wait=NO_WAIT)
        self._script_lock = threading.Lock()

    def handle_error(self, request, client_address):
        # A client that gave up (the timeout tests) leaves a broken pipe behind: not an error.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def rest_url(self) -> str:
        """What an admin would copy from Profile > APIs: the domain with `/rest`."""
        return f"{self.base_url}/rest"

    def use(self, *modes: str) -> None:
        """The next REST calls answer in these modes, in order."""
        with self._script_lock:
            self.state["script"] = list(modes)

    def rest_calls(self) -> list[Recorded]:
        return [r for r in self.calls() if r.path.startswith("/rest/")]

    def scripted(self, request: Recorded, normal) -> Reply:
        with self._script_lock:
            script = self.state["script"]
            mode = script.pop(0) if script else self.state["mode"]
        retry_after = str(self.state["retry_after"])
        if mode == "ok":
            return normal(request)
        if mode == "ok-with-link":
            return _json_reply(200, "session_created_with_link.json")
        if mode == "ok-with-wait":
            envelope = json.loads(document("session_created.json"))
            if self.state["estimated_wait"] is not NO_WAIT:
                envelope["details"]["estimated_waiting_time"] = self.state["estimated_wait"]
            return Reply(200, json.dumps(envelope), "application/json; charset=utf-8")
        if mode == "400":
            return _json_reply(400, "error_400.json")
        if mode == "403":
            return _json_reply(403, "error_403.json")
        if mode == "403-echo":  # a vendor that repeats the key it refused
            key = request.headers.get("integration-key", "")
            body = {
                "result": "ERROR",
                "details": None,
                "errorDetails": {"errorCode": 403, "errorMsg": f"Invalid integration key {key}"},
            }
            return Reply(403, json.dumps(body), "application/json; charset=utf-8")
        if mode == "429":
            return _json_reply(429, "error_429.json", {"Retry-After": retry_after})
        if mode == "429-date":
            return _json_reply(
                429,
                "error_429.json",
                {"Retry-After": formatdate(time() + float(retry_after), usegmt=True)},
            )
        if mode == "429-no-retry-after":
            return _json_reply(429, "error_429.json")
        if mode == "redirect":
            return Reply(302, "", "text/html", {"Location": "http://127.0.0.1:9/elsewhere"})
        if mode == "500":
            return Reply(500, "<h1>Internal Server Error</h1>", "text/html")
        if mode == "malformed":
            return Reply(200, '{"result": "SUCCESS", "details": {"nrequests": 2,', "application/json")
        if mode == "not-json":
            return Reply(200, "<html><body>Maintenance</body></html>", "text/html; charset=utf-8")
        if mode == "error-200":
            return _json_reply(200, "error_with_200.json")
        if mode == "oversized":
            envelope = json.loads(document("session_created.json"))
            envelope["details"]["padding"] = "x" * OVERSIZED_BYTES
            return Reply(200, json.dumps(envelope), "application/json; charset=utf-8")
        raise ValueError(f"unknown fake mode {mode!r}")
