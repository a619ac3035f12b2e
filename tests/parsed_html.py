"""Read a rendered page as parsed HTML, not as markup text: find elements by tag and attribute
values, then assert on their attributes and text. Attribute order, quoting, whitespace and
entity spelling do not matter; what the browser would see does.

    [field] = elements(html, "input", name="name")
    assert field.attrs["value"] == "Jane Doe" and "readonly" in field.attrs
    assert element(html, "p", id="rep-status").text == "Checking who is available"

Raw-bytes checks (that `<script>` never appears unescaped) stay as substring checks on the
response: they test what goes over the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]  # a bare attribute (readonly, checked) has the value ""
    parts: list = field(default_factory=list)  # text and child elements, in order

    @property
    def text(self) -> str:
        """The text inside, entities decoded, whitespace collapsed (as a reader sees it)."""
        return " ".join(self.raw_text().split())

    def raw_text(self) -> str:
        return "".join(part if isinstance(part, str) else part.raw_text() for part in self.parts)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.all: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].parts.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].parts.append(element)
        self.all.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):  # tolerate unclosed children (<p>, <li>)
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def parse(html: str | bytes) -> list[Element]:
    """Every element of the page, in document order."""
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.all


def _descendants(element: Element):
    for part in element.parts:
        if isinstance(part, Element):
            yield part
            yield from _descendants(part)


def elements(source: str | bytes | Element, tag: str | None = None, **attrs: str | bool) -> list[Element]:
    """The elements of a page (or inside an element) with this tag (any, if None) whose
    attributes have these values; `True` means present with any value. Names with a dash are
    written with an underscore (`data_shared_bytes="10000"`); `class_="card"` asks for one of
    the element's classes."""
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    found = []
    for element in _descendants(source) if isinstance(source, Element) else parse(source):
        if tag is not None and element.tag != tag:
            continue
        if all(_matches(element, name, value) for name, value in wanted.items()):
            found.append(element)
    return found


def element(source: str | bytes | Element, tag: str | None = None, **attrs: str | bool) -> Element:
    """The one element that matches (see `elements`); fails when there are none or several."""
    found = elements(source, tag, **attrs)
    assert len(found) == 1, f"{len(found)} elements match {tag or '*'} {attrs}"
    return found[0]


def _matches(element: Element, name: str, value: str | bool) -> bool:
    if value is True:
        return name in element.attrs
    if name == "class":
        return value in element.classes
    return element.attrs.get(name) == value
