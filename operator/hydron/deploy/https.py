"""Does the app answer its users? One HTTPS request per public service, the way a
browser makes it: to the server's address on port 443, with the domain as SNI and
Host, through the firewall and the proxy.

The certificate must be valid now and name the domain. Its chain is not checked
against this machine's trust store: a private ACME CA (pebble in tests, a company CA)
is as good as a public one here, and the proxy step has already checked the issuer.
What this catches is what users would see: no certificate yet, the wrong one, an
expired one, a port the firewall keeps shut, or the proxy answering 502.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime, timezone

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from hydron.deploy.health import Verdict

TIMEOUT = 10.0


def certificate_problem(der: bytes, domain: str, now: datetime) -> str | None:
    """Why this leaf certificate would not satisfy a browser for `domain`, or None."""
    cert = x509.load_der_x509_certificate(der)
    if now < cert.not_valid_before_utc:
        return f"the certificate for {domain} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    if now > cert.not_valid_after_utc:
        return f"the certificate for {domain} expired on {cert.not_valid_after_utc:%Y-%m-%d} UTC"
    try:
        names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if not any(_matches(name, domain) for name in names):
        return f"the certificate served for {domain} names {', '.join(names) or 'no domain'}"
    return None


def _matches(pattern: str, domain: str) -> bool:
    pattern, domain = pattern.lower().rstrip("."), domain.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == domain


def status_code(head: bytes) -> int | None:
    """The status of an HTTP/1.x response's first line."""
    parts = head.split(b"\r\n", 1)[0].split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None


async def probe(address: str, domain: str, path: str = "/", port: int = 443, timeout: float = TIMEOUT) -> Verdict:
    """GET https://domain{path} from address:port. Healthy when the certificate fits and the
    answer is not a server error (a 404 or a login redirect is the app answering)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the certificate is checked by certificate_problem
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=context, server_hostname=domain), timeout)
    except (OSError, asyncio.TimeoutError, ssl.SSLError) as error:
        return Verdict(False, "HTTPSUnreachable",
                      f"https://{domain}/ did not answer on {address}:{port} ({_why(error)}): is port {port} open and "
                      "the proxy running? (kubectl describe server)")
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        problem = certificate_problem(der, domain, datetime.now(timezone.utc)) if der else "no certificate was served"
        if problem:
            return Verdict(False, "CertificateNotReady", f"{problem}; the proxy may still be obtaining it from the ACME CA "
                                                        f"(which needs DNS for {domain} to point at {address}).")
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {domain}\r\nUser-Agent: hydron\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError) as error:
        return Verdict(False, "HTTPSUnreachable", f"https://{domain}{path} gave no answer ({_why(error)}).")
    finally:
        writer.close()
    code = status_code(head)
    if code is None or code >= 500:
        return Verdict(False, "ProxyError", f"https://{domain}{path} answered {code or 'garbage'} through the proxy.")
    return Verdict(True, message=f"https://{domain}{path} answered {code}")


def _why(error: BaseException) -> str:
    return type(error).__name__ if isinstance(error, asyncio.TimeoutError) else (str(error) or type(error).__name__)
