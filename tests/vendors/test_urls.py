"""Which links from a vendor's answer the portal passes on (portal/vendors/urls.py)."""

import pytest

from portal.vendors.urls import vendor_link


@pytest.mark.parametrize(
    ("link", "schemes", "kept"),
    [
        ("https://support.example.com/x?a=1", ("https",), True),
        ("HTTPS://support.example.com/", ("https",), True),
        ("http://support.example.com/", ("https",), False),
        ("http://support.example.com/", ("https", "http"), True),
        ("javascript:alert(1)", ("https", "http"), False),
        ("data:text/html,x", ("https", "http"), False),
        ("https://user@evil.example/", ("https",), False),
        ("https://support.example.com@evil.example/", ("https",), False),
        ("https:///path-only", ("https",), False),
        ("https://support.example.com/a b", ("https",), False),
        ("https://support.example.com/\x7f", ("https",), False),
        ("https://[::1/", ("https",), False),
        ("https://support.example.com/\x9b31m", ("https",), False),  # a C1 control
        ("https://support.example.com/\u202egnp.exe", ("https",), False),  # a bidi override
        ("https://support.example.com/\u00a0", ("https",), False),  # a no-break space
        (None, ("https",), False),
        (42, ("https",), False),
    ],
)
def test_vendor_link_rule(link, schemes, kept):
    assert vendor_link(link, schemes=schemes) == (link if kept else "")
