"""A real SMTP server on 127.0.0.1 for the error mail: it speaks what Django's SMTP backend
says (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT), keeps each message it is given, with its
envelope and the credentials it was given, and hands them to the test through a queue."""

from __future__ import annotations

import base64
import contextlib
import email
import email.message
import email.policy
import queue
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    credentials: tuple[str, str] | None = None
    raw: bytes = field(default=b"", repr=False)

    @property
    def text(self) -> str:
        """The message's text, every part decoded."""
        return "\n".join(
            str(part.get_content()) for part in self.message.walk() if part.get_content_maintype() == "text"
        )


class SmtpHandler(socketserver.StreamRequestHandler):
    server: FakeSmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 fake.example ESMTP")
        sender, credentials = "", None
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").rstrip("\r\n")
            verb, _, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-fake.example")
                self.reply("250 AUTH PLAIN")
            elif verb == "HELO" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "AUTH" and argument.upper().startswith("PLAIN "):
                _zid, user, password = base64.b64decode(argument[6:]).decode().split("\0")
                credentials = (user, password)
                self.reply("235 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = argument.partition(":")[2].strip().strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(argument.partition(":")[2].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                raw = b"".join(lines)
                message = email.message_from_bytes(raw, policy=email.policy.default)
                assert isinstance(message, email.message.EmailMessage)
                self.server.received.put(Received(sender, list(recipients), message, credentials, raw))
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class FakeSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.received: queue.Queue[Received] = queue.Queue()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def next_message(self, timeout: float = 30) -> Received:
        """The next message delivered (waits for it, at most `timeout` seconds)."""
        return self.received.get(timeout=timeout)


@contextlib.contextmanager
def smtp_server() -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
