"""A WSGI app for the worker tests: `/pid` answers with the serving process's id; `/block`
holds its thread until the test releases it.

`/block` connects to the test's socket (BLOCK_PORT on 127.0.0.1), sends its process id, and
answers only once the test sends a byte back: the test knows which worker is busy and chooses
when it is free again, without any clock.
"""

import os
import socket


def application(environ, start_response):
    if environ["PATH_INFO"] == "/block":
        with socket.create_connection(("127.0.0.1", int(os.environ["BLOCK_PORT"]))) as test:
            test.sendall(f"{os.getpid()}\n".encode())
            test.recv(1)  # released
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
