"""An API call whose body comes chunked (no Content-Length: Node's `http.request` with
`write()`, a streamed body) reaches Django empty under gunicorn as shipped, and the answer
must say so rather than call the JSON invalid (README, "Integrations API")."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys

import pytest

from tests.server.portal_server import ROOT, SECRET_KEY, portal_under_gunicorn
from tests.server.test_balanced_worker import BOUND

pytestmark = pytest.mark.gunicorn


def manage(data_dir, *args: str) -> str:
    """What a manage.py command prints, run on the server's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "PORTAL_HTTPS": "false",
        "PORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'portal.sqlite3'}",
    }
    env.pop("CACHE_URL", None)
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def test_a_chunked_api_body_is_answered_with_what_to_send_instead(tmp_path):
    with portal_under_gunicorn(tmp_path) as (base_url, _database, _master):
        manage(
            tmp_path, "shell", "-c", "from portal.models import Site; Site.objects.update(prefill_secret='s')"
        )
        token = manage(tmp_path, "portal_token", "--site", "Acme").split()[-1]
        connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=BOUND)
        body = json.dumps({"values": {"external_key": "INC0012345"}}).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", "/api/v1/prefill-links", body=iter([body]), headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        # The same call with its length is fine: only the chunked framing was the matter.
        connection.request("POST", "/api/v1/prefill-links", body=body, headers=headers)
        sized = connection.getresponse()
        sized.read()
        connection.close()
    assert (response.status, answer["error"]) == (400, "invalid_json")
    assert "Content-Length" in answer["message"] and "chunked" in answer["message"]
    assert sized.status == 201
