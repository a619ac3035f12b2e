"""A help desk's webhook receiver: a real HTTP server on 127.0.0.1 that records each delivery
and answers as told (`server.replies`: statuses in order, then 200), optionally over TLS with
a certificate nobody trusts (`tls_receiver`)."""

from __future__ import annotations

import contextlib
import ssl

from tests.fakes.server import FakeServer, FakeVendorHandler, Recorded, Reply, running


class ReceiverHandler(FakeVendorHandler):
    def route(self, request: Recorded) -> Reply:
        replies = self.server.state.setdefault("replies", [])
        status = replies.pop(0) if replies else 200
        body = self.server.state.get("body", "ok")
        return Reply(status, body, "text/plain; charset=utf-8")


def receiver(*replies: int) -> FakeServer:
    server = FakeServer(ReceiverHandler)
    server.state["replies"] = list(replies)
    return server


@contextlib.contextmanager
def tls_receiver():
    """A receiver speaking TLS with a certificate from a throwaway CA the portal does not know."""
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    server = receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with running(server):
        host, port = server.server_address[:2]
        yield server, f"https://{host}:{port}/hooks"
