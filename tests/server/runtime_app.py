"""A WSGI app for the shipped-configuration test: answers with what the worker's runtime
settings are (its process id, its frozen objects, its thread switch interval), and where it
took the request's path from (SCRIPT_NAME and PATH_INFO)."""

import gc
import json
import os
import sys


def application(environ, start_response):
    body = json.dumps(
        {
            "pid": os.getpid(),
            "frozen": gc.get_freeze_count(),
            "switch_interval": sys.getswitchinterval(),
            "script_name": environ.get("SCRIPT_NAME", ""),
            "path_info": environ.get("PATH_INFO", ""),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
