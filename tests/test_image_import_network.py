"""Where an import connects: only to the address its host resolved to and the URL policy allowed.

These tests play the DNS server, which only a resolver handed to `ImageImporter` can do, so they
call `fetch` directly rather than through a LocalOcean server. Everything else is real: the
importer, its HTTP client and the image server it downloads from. Every answer they give is an
address of this machine, so a wrong connection would reach the image server and show up in its
connection count (Linux takes 0.0.0.0 as this machine); nothing is sent anywhere else.
"""

from __future__ import annotations

import asyncio
import importlib
import socket

import pytest

from localocean.core.clock import Clock
from localocean.core.db import Database
from localocean.core.lifecycle import Lifecycle
from localocean.core.timing import Timing
from tests.conftest import new_token
from tests.support import disk_images
from tests.support.disk_images import GIB
from tests.support.image_server import ImageServer

# The module, not the attribute: the images package exports a function of the same name.
importer = importlib.import_module("localocean.areas.images.importer")


class Dns:
    """Answers each name with its listed answers in turn, repeating the last; records queries.
    A name it does not know fails as an unknown name fails in real DNS."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.queries.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.answers[host]
        return answers[min(self.queries.count(host), len(answers)) - 1]


def fetch(url: str, dns: Dns, policy: str = "default") -> importer.Outcome:
    db = Database("sqlite://")  # never used: fetching touches no database
    lifecycle = Lifecycle(db, Clock(frozen=False), Timing("instant", {}), {})
    images = importer.ImageImporter(db, lifecycle, policy, GIB, resolver=dns.resolve)
    return asyncio.run(images.fetch(url))


def refusal(url: str, dns: Dns, policy: str = "default") -> str:
    with pytest.raises(importer.ImportFailure) as failure:
        fetch(url, dns, policy)
    return str(failure.value)


def unique(name: str) -> str:
    return f"/{name}-{new_token()[-8:]}"


def test_a_rebinding_name_is_connected_to_at_the_address_that_was_checked(
    image_server: ImageServer,
) -> None:
    # The classic attack: an allowed answer for the check, a refused one for the connection.
    dns = Dns({"images.test": [["127.0.0.1"], ["0.0.0.0"]]})
    path = unique("rebinding.img")
    image_server.add(path, disk_images.raw_mbr())
    url = f"http://images.test:{image_server.port}{path}"
    connections, requests = image_server.connections, len(image_server.requests)

    assert fetch(url, dns).format == "raw-mbr"
    # One lookup for the one connection: the address it answered was checked and connected to.
    assert dns.queries == ["images.test"]
    assert image_server.requests[requests:] == [path]
    assert image_server.connections == connections + 1

    # The next connection gets the next answer, which is refused before any connection.
    assert "refused to connect to images.test: address 0.0.0.0" in refusal(url, dns)
    assert dns.queries == ["images.test", "images.test"]
    assert image_server.connections == connections + 1


@pytest.mark.parametrize(
    ("policy", "answer", "words"),
    [
        ("default", ["0.0.0.0"], "address 0.0.0.0 is link-local or a cloud metadata address"),
        ("default", ["127.0.0.1", "0.0.0.0"], "address 0.0.0.0 is"),
        ("default", ["0.0.0.0", "127.0.0.1"], "address 0.0.0.0 is"),
        ("strict", ["127.0.0.1"], "refused by --image-url-policy strict"),
        ("strict", ["::ffff:127.0.0.1"], "refused by --image-url-policy strict"),
    ],
)
def test_a_name_with_a_refused_address_is_never_connected_to(
    image_server: ImageServer, policy: str, answer: list[str], words: str
) -> None:
    dns = Dns({"refused.test": [answer]})
    path = unique("refused.img")
    image_server.add(path, disk_images.raw_mbr())
    connections, requests = image_server.connections, len(image_server.requests)
    message = refusal(f"http://refused.test:{image_server.port}{path}", dns, policy)
    assert message.startswith("refused to connect to refused.test: ")
    assert words in message
    assert image_server.connections == connections
    assert len(image_server.requests) == requests


def test_each_redirect_hop_resolves_and_checks_its_own_connection(
    image_server: ImageServer,
) -> None:
    dns = Dns({"allowed.test": [["127.0.0.1"]], "refused.test": [["0.0.0.0"]]})
    port = image_server.port
    path = unique("hop-target.img")
    image_server.add(path, disk_images.raw_mbr())
    to_allowed = image_server.redirect(unique("to-allowed"), f"http://allowed.test:{port}{path}")
    to_refused = image_server.redirect(unique("to-refused"), f"http://refused.test:{port}{path}")
    connections, requests = image_server.connections, len(image_server.requests)

    assert fetch(to_allowed, dns).format == "raw-mbr"
    assert dns.queries == ["allowed.test"], "the IP-literal first hop needs no lookup"
    assert image_server.connections == connections + 2
    assert len(image_server.requests) == requests + 2

    assert "address 0.0.0.0 is" in refusal(to_refused, dns)
    assert dns.queries == ["allowed.test", "refused.test"]
    assert image_server.connections == connections + 3, "only the first hop was connected to"
    assert image_server.requests[requests + 2 :] == [to_refused.removeprefix(image_server.url)]


def test_ip_literals_are_checked_without_a_lookup(image_server: ImageServer) -> None:
    dns = Dns({})
    url = image_server.add(unique("literal.img"), disk_images.raw_mbr())
    assert fetch(url, dns).format == "raw-mbr"
    connections = image_server.connections
    message = refusal(url, dns, "strict")
    assert "refused to connect to 127.0.0.1: address 127.0.0.1 is private or loopback" in message
    assert image_server.connections == connections
    assert dns.queries == []


def test_a_name_that_does_not_resolve_names_the_cause(image_server: ImageServer) -> None:
    dns = Dns({})
    message = refusal(f"http://unknown.test:{image_server.port}/x.img", dns)
    assert message.startswith("cannot resolve host unknown.test: ")
    assert dns.queries == ["unknown.test"]
