"""Driving the Server controller in-process against the Hetzner Cloud stand-in: a Server
that names an order instead of an address, deps whose provider is the real hcloud
client pointed at the stand-in, and a recorder that keeps what the operator would have
written to the API server while the pass ran (events and the live status)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import asyncssh

from hydron.api.server import Server, ServerStatus
from hydron.controllers.common import Event, LiveStatus
from hydron.controllers.server import ServerDeps
from hydron.providers.hetzner import HetznerCloud
from hydron.providers.ordering import OrderSettings, Owner
from hydron_testbed.hetzner_api import HetznerApi

ACCOUNT = {"name": "hetzner", "key": "token"}
LOGIN = {"name": "server-ssh", "key": "ssh-privatekey"}


def ordered_server(offer: str = "cx33", location: str = "fsn1", image: str = "debian-12", **spec) -> Server:
    """A Server with no address: Hydron orders it from Hetzner Cloud."""
    order = {"accountSecretRef": ACCOUNT, "offer": offer, "location": location, "image": image}
    return Server.model_validate({"spec": {"provider": "hetzner", "order": order, "sshKeySecretRef": LOGIN, **spec}})


class Recorder:
    """The API server as far as a pass can tell: events, and the last status written live."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.status: ServerStatus | None = None
        self.durable: list[ServerStatus] = []

    def __call__(self, effect) -> None:
        if isinstance(effect, Event):
            self.events.append((effect.type, effect.reason, effect.message))
        elif isinstance(effect, LiveStatus):
            self.status = effect.status
            if effect.durable:
                self.durable.append(effect.status)

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self.events]


class Account:
    """A provider account on the stand-in: its token, the operator's login key, and the
    Server's identity (namespace, name, uid) its machine is labelled with."""

    def __init__(self, api: HetznerApi, token: str | None = None) -> None:
        self.api = api
        self.token = token or api.token
        self.login = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
        self.owner = Owner("shop", "web", str(uuid.uuid4()))

    def read_secret(self, name: str, key: str) -> str:
        return self.token if (name, key) == (ACCOUNT["name"], ACCOUNT["key"]) else self.login

    def provider(self, name: str, token: str) -> HetznerCloud:
        assert name == "hetzner"
        return HetznerCloud(token, self.api.endpoint, poll_interval=0.2)

    def deps(self, runtime: ServerDeps, recorder: Recorder | None = None, **changes) -> ServerDeps:
        wired = dict(read_secret=self.read_secret, emit=recorder, owner=self.owner, providers=self.provider,
                     ordering=OrderSettings(ssh_retry_interval=0.5))
        return replace(runtime, **{**wired, **changes})
