"""A WSGI app for the worker tests: `/pid` answers with the serving process's id; `/block`
holds its thread until the test releases it; `/read` reads the request body and answers with the
number of bytes it read (`/read?hold`: half of them, then it holds as `/block` does, then the
rest), or with 400 and the name of what its read raised.

`/block` connects to the test's socket (BLOCK_PORT on 127.0.0.1), sends its process id, and
answers only once the test sends a byte back: the test knows which worker is busy and chooses
when it is free again, without any clock.
"""

import os
import socket


def hold():
    with socket.create_connection(("127.0.0.1", int(os.environ["BLOCK_PORT"]))) as test:
        test.sendall(f"{os.getpid()}\n".encode())
        test.recv(1)  # released


def application(environ, start_response):
    status, body = "200 OK", str(os.getpid()).encode()
    if environ["PATH_INFO"] == "/block":
        hold()
    elif environ["PATH_INFO"] == "/read":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        try:
            read = len(stream.read(length // 2))
            if environ.get("QUERY_STRING") == "hold":
                hold()
            read += len(stream.read(length - read))
        except Exception as exc:
            status, body = "400 Bad Request", type(exc).__name__.encode()
        else:
            body = str(read).encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
