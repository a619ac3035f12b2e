"""Fake help-desk APIs (Zendesk, Freshdesk, Jira Service Management) for the integration
guides' receivers: real HTTP on 127.0.0.1, every request recorded.

Only the calls the guides' snippets make: Zendesk's ticket update with a private comment,
Freshdesk's private note, JSM's request comment. `server.state["fail"] = n` answers the next
`n` calls with 500, as a busy help desk does.
"""

from __future__ import annotations

import json
import re

from tests.fakes.server import FakeServer, FakeVendorHandler, Recorded, Reply

ROUTES = (
    ("PUT", re.compile(r"/api/v2/tickets/(\d+)\.json")),  # Zendesk
    ("POST", re.compile(r"/api/v2/tickets/(\d+)/notes")),  # Freshdesk
    ("POST", re.compile(r"/rest/servicedeskapi/request/([A-Z][A-Z0-9_]*-\d+)/comment")),  # JSM
)


class HelpDeskHandler(FakeVendorHandler):
    def route(self, request: Recorded) -> Reply:
        with self.server.lock:
            if self.server.state.get("fail", 0) > 0:
                self.server.state["fail"] -= 1
                return Reply(500, b'{"error": "busy"}', "application/json")
        for method, pattern in ROUTES:
            match = pattern.fullmatch(request.path)
            if match and request.method == method:
                return Reply(
                    200 if method == "PUT" else 201,
                    json.dumps({"id": 1, "ticket": match.group(1)}),
                    "application/json",
                )
        return Reply(404, b'{"error": "not found"}', "application/json")


def fake_help_desk() -> FakeServer:
    return FakeServer(HelpDeskHandler)
