"""`runserver` refusing a request line longer than gunicorn's as shipped (`REQUEST_LINE_MAX`,
414), so a link that opens under `make run` opens in production too: Django's own server took
64 KB (docs/decisions/0121-prefill-links-fit-the-servers-request-line.md)."""

from __future__ import annotations

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import (  # type: ignore[import-untyped]
    Command as WhiteNoiseRunserver,
)

from portal.conf import REQUEST_LINE_MAX


class RequestLineHandler(WSGIRequestHandler):
    def parse_request(self) -> bool:
        length = len(self.raw_requestline.rstrip(b"\r\n"))
        if length <= REQUEST_LINE_MAX:
            return super().parse_request()
        # As gunicorn answers it: 414 and why, before any of the portal runs.
        self.command, self.requestline, self.request_version = "", "", "HTTP/1.1"
        self.close_connection = True
        self.send_error(414, f"Request Line is too large ({length} > {REQUEST_LINE_MAX})")
        return False


class RequestLineServer(WSGIServer):
    def __init__(self, server_address, handler_class, *args, **kwargs):
        super().__init__(server_address, RequestLineHandler, *args, **kwargs)


class Command(WhiteNoiseRunserver):
    server_cls = RequestLineServer
