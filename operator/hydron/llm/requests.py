"""What a person's change requests authorise, read with a small grammar rather than searched
for numbers.

Only a person can widen the plan, so only what their words name counts:

- a port, when it is written as a port: "port 8081", "ports 80 and 443", "5432/tcp",
  "listens on 8081", "open 5432". "We are 22 developers" names no port.
- a firewall opening, when one sentence asks to open (allow, expose, ...) a named port and
  names who may connect: a CIDR or an address ("to our office 203.0.113.0/24" is exactly that
  range, "198.51.100.7" is that one address), or in so many words everyone ("to the world",
  "0.0.0.0/0"). An opening without a source authorises nothing; the reviewer is told why.
- a domain, when it is written out.
- a server change, when a request talks about the server or its size.

Quoted text ("...", `...`) is something the person cites, not asks for, and a negated or
closing verb ("don't open 22", "close 5432") authorises no opening.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from hydron.api.application import ApplicationSpec
from hydron.api.infraplan import ChangeRequest

_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|„[^“”\n]*[“”]|`[^`\n]*`|(?<!\w)'[^'\n]*'(?!\w)")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_NUMBER = r"(?<![\d.:/])(\d{1,5})(?![\d.]\d|\d)"
_LIST = rf"{_NUMBER}(?:\s*/\s*(?:tcp|udp))?(?:\s*(?:,|and|&|or)\s*{_NUMBER}(?:\s*/\s*(?:tcp|udp))?)*"
_OPEN_VERBS = r"open|allow|expose|publish|unblock|permit|whitelist|allowlist|forward"
_PORT_PHRASES = (
    re.compile(rf"\bports?\s+(?:number\s+)?{_LIST}"),
    re.compile(rf"{_NUMBER}\s*/\s*(?:tcp|udp)\b"),
    re.compile(rf"\b(?:tcp|udp)\s+(?:port\s+)?{_LIST}"),
    re.compile(rf"\b(?:listen(?:s|ing)?|run(?:s|ning)?|serve(?:s|d)?|bind(?:s)?|answer(?:s)?)\s+on\s+(?:port\s+)?"
               rf"{_LIST}"),
    re.compile(rf"\b(?:{_OPEN_VERBS})\s+(?:up\s+)?(?:the\s+)?(?:port\s+|ports\s+)?{_LIST}"),
)
_CLAUSE = re.compile(rf"(?:,|\band\b|\bthen\b|\balso\b)\s+(?=(?:please\s+)?(?:also\s+)?(?:{_OPEN_VERBS})\b)")
_OPEN = re.compile(rf"\b(?:{_OPEN_VERBS}|reach|access|connect)\w*\b")
_NEGATION = re.compile(r"\b(?:not|never|no|don't|dont|doesn't|won't|cannot|can't|stop|close|block|deny|remove|"
                       r"revoke)\b|n't\b")
_WORLD = re.compile(r"\b(?:everyone|everybody|anyone|anybody|anywhere|the world|the internet|the public|publicly|"
                    r"all addresses|any address)\b")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\d.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(/\d{1,3})?(?![\w:])")
_DOMAIN = re.compile(r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\b")
_SERVER = re.compile(r"\b(?:server|machine|instance|vps|hosting|bigger|larger|smaller|cheaper|upgrade|downgrade|"
                     r"scale|ram|memory|cpus?|cores?|vcpus?|offer)\b")
WORLD = "0.0.0.0/0"


@dataclass(frozen=True)
class Opening:
    port: int
    protocol: str
    source: str  # a CIDR, normalised


@dataclass(frozen=True)
class Authorised:
    """What people asked for, in the only terms policy accepts."""

    asked: bool  # there are change requests to carry out
    text: str  # the requests, lower-cased, quotes removed
    ports: frozenset[int]  # written as ports
    openings: frozenset[Opening]
    unsourced: frozenset[int]  # ports asked to be opened without saying to whom
    domains: frozenset[str]
    server: bool  # a request talks about the server or its size

    def mentions(self, word: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", self.text) is not None

    def sources_for(self, port: int, protocol: str) -> list[str]:
        return sorted(o.source for o in self.openings if o.port == port and o.protocol == protocol)


def read(requests: list[ChangeRequest], app: ApplicationSpec, offers: tuple[str, ...] = ()) -> Authorised:
    """Everything the change requests (and the Application's own domains) authorise."""
    text = _QUOTED.sub(" ", "\n".join(r.message for r in requests).lower())
    ports: set[int] = set()
    openings: set[Opening] = set()
    unsourced: set[int] = set()
    clauses = [c for sentence in _SENTENCE.split(text) for c in _CLAUSE.split(sentence)]
    for sentence in clauses:
        named = _ports(sentence)
        ports |= set(named)
        verb = _OPEN.search(sentence)
        if not named or verb is None or _NEGATION.search(sentence[: verb.start()]):
            continue
        sources = _sources(sentence)
        if not sources:
            unsourced |= set(named)
        openings |= {Opening(port, protocol, source) for port, protocol in named.items() for source in sources}
    domains = set(app.domains) | {d for o in app.services for d in o.domains} | set(_DOMAIN.findall(text))
    server = bool(_SERVER.search(text)) or any(re.search(rf"(?<![\w-]){re.escape(o.lower())}(?![\w-])", text)
                                              for o in offers)
    return Authorised(asked=bool(requests), text=text, ports=frozenset(ports), openings=frozenset(openings),
                      unsourced=frozenset(unsourced - {o.port for o in openings}),
                      domains=frozenset(d.lower() for d in domains), server=server)


def _ports(sentence: str) -> dict[int, str]:
    """Ports the sentence writes as ports, each with its protocol (tcp unless it says udp)."""
    found: dict[int, str] = {}
    for phrase in _PORT_PHRASES:
        for match in phrase.finditer(sentence):
            span = match.group(0)
            for number in re.finditer(_NUMBER + r"(\s*/\s*udp)?", span):
                value = int(number.group(1))
                if 1 <= value <= 65535:
                    udp = bool(number.group(2)) or span.startswith("udp")
                    found.setdefault(value, "udp" if udp else "tcp")
    return found


def _sources(sentence: str) -> list[str]:
    """The address ranges a sentence names, exactly; 0.0.0.0/0 only when it says everyone."""
    sources = []
    for match in list(_IPV4.finditer(sentence)) + list(_IPV6.finditer(sentence)):
        address, prefix = match.group(1), match.group(2) or ""
        try:
            network = ipaddress.ip_network(address + prefix, strict=False)
        except ValueError:
            continue
        sources.append(str(network))
    if _WORLD.search(sentence):
        sources.append(WORLD)
    return list(dict.fromkeys(sources))
