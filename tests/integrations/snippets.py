"""The code blocks of docs/integrations/, found by their titles, and how to run them.

A block is a fenced block whose info string carries a title: ```js title="zendesk-main.js"```.
Tests write a block to a temporary folder under its title (so one Python block can import
another, as the guides say) and run it: Python with this interpreter, JavaScript with Node and
only Node's built-in modules, plus the small stand-ins for each platform's API in
tests/integrations/js/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "integrations"
SHIMS = Path(__file__).resolve().parent / "js"
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).exists(), reason="node is missing (apt-get install nodejs)")
PORTAL_URL = "https://support.example.com"  # what the guides' snippets are configured with
FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)
TITLE = re.compile(r'title="([^"]+)"')


@dataclass(frozen=True)
class Snippet:
    guide: str
    language: str
    title: str
    code: str


def all_blocks() -> list[Snippet]:
    """Every fenced block of every guide, titled or not (an untitled one is a test failure)."""
    blocks = []
    for path in sorted(GUIDES.glob("*.md")):
        for match in FENCE.finditer(path.read_text(encoding="utf-8")):
            title = TITLE.search(match.group(2))
            blocks.append(Snippet(path.name, match.group(1), title.group(1) if title else "", match.group(3)))
    return blocks


def snippet(guide: str, title: str) -> str:
    found = [b.code for b in all_blocks() if b.guide == guide and b.title == title]
    assert len(found) == 1, f"{guide} has {len(found)} blocks titled {title}"
    return found[0]


def write(folder: Path, guide: str, *titles: str, as_names: dict[str, str] | None = None) -> Path:
    """The blocks as files in `folder`, each under its title (or the name `as_names` gives)."""
    for title in titles:
        name = (as_names or {}).get(title, title)
        (folder / name).write_text(snippet(guide, title), encoding="utf-8")
    return folder


def import_python(folder: Path, module: str, monkeypatch):
    """Imports `module` from `folder` fresh (its module-level code runs now, with the env set)."""
    monkeypatch.syspath_prepend(str(folder))
    for name in (module, "portal_webhook"):
        sys.modules.pop(name, None)
    __import__(module)
    loaded = sys.modules[module]
    monkeypatch.setitem(sys.modules, module, loaded)  # dropped again after the test
    if "portal_webhook" in sys.modules:
        monkeypatch.setitem(sys.modules, "portal_webhook", sys.modules["portal_webhook"])
    return loaded


def run_node(
    script: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> dict:
    """Runs a Node script (a harness from tests/integrations/js/), returns the JSON it prints."""
    completed = subprocess.run(
        [NODE, str(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "NODE_OPTIONS": "", **(env or {})},
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def portal_path(url: str) -> str:
    """The path and query of a link the snippet made for the portal at PORTAL_URL."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PORTAL_URL, url
    return f"{parts.path}?{parts.query}"


def query_names(url: str) -> list[str]:
    return [name for name, _value in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
