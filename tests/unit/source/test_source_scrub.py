"""Credential scrubbing: every form a secret can take in git's output is removed."""

from __future__ import annotations

import base64
from urllib.parse import quote

from hydron.source.errors import ALL_ERRORS, SourceError
from hydron.source.scrub import REDACTED, Scrubber

TOKEN = "ghp_R4nd0mT0k3nValue/with+odd=chars"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBzZWNyZXRrZXltYXRlcmlhbHRoYXRtdXN0bm90bGVha2FueXdoZXJl\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def test_raw_quoted_and_base64_forms() -> None:
    s = Scrubber([TOKEN], ["alice"])
    basic = base64.b64encode(f"alice:{TOKEN}".encode()).decode()
    text = f"a {TOKEN} b {quote(TOKEN, safe='')} c {basic} d {base64.b64encode(TOKEN.encode()).decode()}"
    out = s(text)
    assert TOKEN not in out and quote(TOKEN, safe="") not in out and basic not in out
    assert out.count(REDACTED) == 4


def test_userinfo_in_urls() -> None:
    s = Scrubber()
    assert s("fatal: 'https://user:pw123@host/r.git'") == "fatal: 'https://***@host/r.git'"
    assert s("https://ghp_tokenonly@github.com/o/r") == "https://***@github.com/o/r"
    assert s("ssh://git:secretpw@host/r") == "ssh://git:***@host/r"
    # an ssh user name is not a secret and stays readable
    assert s("ssh://git@host:22/r") == "ssh://git@host:22/r"


def test_auth_headers_and_helper_output() -> None:
    s = Scrubber()
    assert "abc123" not in s("> Authorization: Basic YWxpY2U6YWJjMTIz")
    assert "verylongbearertoken" not in s("Authorization: Bearer verylongbearertoken")
    assert s("username=bob\npassword=letmein99\n") == "username=bob\npassword=***\n"


def test_private_key_material() -> None:
    s = Scrubber([KEY])
    out = s(f"Load key failed:\n{KEY}\nand a line: QyNTUxOQAAACBzZWNyZXRrZXltYXRlcmlhbHRoYXRtdXN0bm90bGVha2FueXdoZXJl")
    assert "c2VjcmV0a2V5" not in out and "QyNTUxOQAAACBz" not in out
    # a PEM block is removed even when the scrubber was not told about it
    assert "b3BlbnNzaC1rZXkt" not in Scrubber()(KEY)


def test_short_secrets_do_not_mangle_text() -> None:
    assert Scrubber(["ab"])("branches: main, dev, ab") == "branches: main, dev, ab"


def test_every_error_has_a_camel_case_reason_and_keeps_it() -> None:
    for cls in ALL_ERRORS:
        err = cls("message")
        assert isinstance(err, SourceError)
        assert err.reason == cls.REASON and err.reason[0].isupper() and " " not in err.reason
        assert err.retryable == cls.RETRYABLE
    assert SourceError("Custom", "m", retryable=False).retryable is False
