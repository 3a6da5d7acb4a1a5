"""A service that runs an image as it is (a managed database) gets that image onto the
server before the rollout, when the server does not have it: the plan names it, not
the Server's baseImages."""

from __future__ import annotations

import docker.errors

from hydron.api.deployment import Deployment
from hydron.build.services import service_images


class Images:
    def __init__(self, present: set[str]) -> None:
        self.present = present

    def get(self, name: str):
        if name not in self.present:
            raise docker.errors.ImageNotFound(name)
        return object()


class Client:
    def __init__(self, present: set[str]) -> None:
        self.images = Images(present)


class Source:
    description = "pulled by the server"

    def __init__(self, client: Client) -> None:
        self.client = client
        self.delivered: list[str] = []

    async def deliver(self, image: str, run) -> None:
        self.delivered.append(image)
        self.client.images.present.add(image)


def deployment(*images: str) -> Deployment:
    return Deployment.model_validate({"spec": {
        "serverRef": {"name": "srv"},
        "services": [{"name": f"s{i}", "image": image} for i, image in enumerate(images)]}})


async def test_a_missing_image_is_delivered_once_and_one_present_is_left_alone():
    client = Client(present={"redis:7"})
    source = Source(client)
    events = []

    async def note(*args):
        events.append(args)

    services = deployment("postgres:16", "redis:7").spec.services
    images = await service_images(client, None, "notes", services, None, None, image_source=source, note=note)
    assert images == {"s0": "postgres:16", "s1": "redis:7"}
    assert source.delivered == ["postgres:16"]
    assert events == [("ImageDelivered", "postgres:16 pulled by the server")]

    await service_images(client, None, "notes", services, None, None, image_source=source, note=note)
    assert source.delivered == ["postgres:16"]  # a second reconcile changes nothing
