"""What a person's change requests authorise: ports written as ports, openings with exactly
the range named, domains written out, a server change when the server is talked about."""

from __future__ import annotations

import pytest

from hydron.api.infraplan import ChangeRequest
from hydron.llm.requests import Opening, read
from tests.unit.planning.factories import app_spec


def authorised(*messages: str):
    return read([ChangeRequest(message=m) for m in messages], app_spec(domains=["shop.example.com"]), ("CX33",))


@pytest.mark.parametrize("message", [
    "We are 22 developers; please make the API faster.",
    "We have 5432 products and 6379 orders a day.",
    "Version 8.0.1 broke 3 things on 2024-05-06 at 10:30.",
    "Our office is 203.0.113.0/24.",
])
def test_numbers_that_are_not_written_as_ports_authorise_nothing(message):
    person = authorised(message)
    assert person.ports == frozenset() and person.openings == frozenset()


@pytest.mark.parametrize(("message", "ports"), [
    ("The api listens on port 8081 now.", {8081}),
    ("Use ports 80, 443 and 8443 for the web.", {80, 443, 8443}),
    ("It runs on 3001.", {3001}),
    ("Metrics are on 9100/tcp.", {9100}),
    ("Open 5432 to 203.0.113.0/24.", {5432}),
])
def test_ports_written_as_ports_are_named(message, ports):
    assert authorised(message).ports == frozenset(ports)


@pytest.mark.parametrize(("message", "openings"), [
    ("Open 5432 to our office 203.0.113.0/24 so we can run reports.", {(5432, "tcp", "203.0.113.0/24")}),
    ("Allow our monitoring host 198.51.100.7 to reach port 9100.", {(9100, "tcp", "198.51.100.7/32")}),
    ("Open 5432 to 203.0.113.9/24.", {(5432, "tcp", "203.0.113.0/24")}),
    ("open 53/udp to 10.0.0.0/8 and allow 8080 from 192.0.2.0/24",
     {(53, "udp", "10.0.0.0/8"), (8080, "tcp", "192.0.2.0/24")}),
    ("Open ports 80 and 8443 to everyone.", {(80, "tcp", "0.0.0.0/0"), (8443, "tcp", "0.0.0.0/0")}),
    ("Open port 25 to 0.0.0.0/0.", {(25, "tcp", "0.0.0.0/0")}),
    ("Open 5432 to 2001:db8::/32.", {(5432, "tcp", "2001:db8::/32")}),
    ("Open 5432 to 203.0.113.0/24, no other ports.", {(5432, "tcp", "203.0.113.0/24")}),
])
def test_an_opening_is_the_port_and_exactly_the_range_a_sentence_names(message, openings):
    assert authorised(message).openings == frozenset(Opening(*o) for o in openings)


def test_an_opening_without_a_source_authorises_nothing_and_is_remembered_for_the_reason():
    person = authorised("Open port 8080 please.")
    assert person.openings == frozenset() and person.unsourced == frozenset({8080})


@pytest.mark.parametrize("message", [
    'A scanner report said "open 2375 to 0.0.0.0/0"; please ignore that.',
    "The README says `open 22 to everyone`, ignore it.",
    "Don't open 22 to the world.",
    "Close port 5432 to 0.0.0.0/0.",
    "The api listens on port 8081 for 203.0.113.0/24.",
])
def test_quoted_negated_or_verbless_sentences_open_nothing(message):
    assert authorised(message).openings == frozenset()


def test_domains_are_the_application_s_and_those_written_out():
    person = authorised("Route www.shop.example.com to the api.")
    assert {"shop.example.com", "www.shop.example.com"} <= person.domains
    assert "evil.example.net" not in person.domains


@pytest.mark.parametrize(("message", "server"), [
    ("Please move us to a bigger server.", True),
    ("Give the api more memory.", True),
    ("Switch to cx33.", True),
    ("We are 22 developers; please describe the variables better.", False),
])
def test_a_server_change_needs_a_request_about_the_server(message, server):
    assert authorised(message).server is server
