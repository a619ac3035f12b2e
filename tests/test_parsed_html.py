"""The page reader the tests use (tests/parsed_html.py) sees what a browser would."""

from __future__ import annotations

import pytest

from tests.parsed_html import element, elements

PAGE = """<!doctype html><html lang="de"><body>
<form><input type=text name="name" value="Jane &amp; Co" readonly>
<input type="radio" name="issue" value="vpn" checked><input type="radio" name="issue" value="other">
<p class="error field" id="id_name_error">Please&nbsp;fill in <b>this</b> field. </p>
<p>unclosed<div data-shared-bytes="10000" name="cf_x"></div></form>
<footer class="site-footer"><a href="/a?x=1&amp;y=2">A</a></footer></body></html>"""


def test_attributes_are_decoded_and_bare_ones_are_present():
    name = element(PAGE, "input", name="name")
    assert name.attrs == {"type": "text", "name": "name", "value": "Jane & Co", "readonly": ""}
    assert [e.attrs["value"] for e in elements(PAGE, "input", name="issue", checked=True)] == ["vpn"]
    assert element(PAGE, "a").attrs["href"] == "/a?x=1&y=2"


def test_text_classes_dashes_and_nesting():
    error = element(PAGE, "p", class_="error", id="id_name_error")
    assert error.text == "Please fill in this field." and error.raw_text() == "Please\xa0fill in this field. "
    assert [e.attrs["name"] for e in elements(PAGE, data_shared_bytes="10000")] == ["cf_x"]
    assert element(element(PAGE, "footer", class_="site-footer"), "a").text == "A"
    assert element(PAGE, "html").attrs["lang"] == "de"


def test_element_insists_on_exactly_one():
    with pytest.raises(AssertionError):
        element(PAGE, "input", name="issue")
    with pytest.raises(AssertionError):
        element(PAGE, "select")
