"""The base-images step fetches spec.baseImages through the same sources as builds,
and a missing one fails the step with reason BaseImageUnavailable, retried."""

import pytest

from hydron.api.server import ServerSpec
from hydron.provisioning.failures import StepError, classify
from hydron.provisioning.steps.base_images import BaseImages
from tests.unit.build.test_delivery import MIRROR, Engine
from tests.unit.provisioning.fakes import FakeServer, Reply
from tests.unit.provisioning.helpers import context


def ctx_with(server, **spec):
    ctx = context(server)
    ctx.spec = ServerSpec.model_validate({**ctx.spec.to_api(), **spec})
    return ctx


async def test_missing_base_images_come_through_the_servers_mirror():
    server = FakeServer()
    engine = Engine(server, pullable={"mirror.internal:5000/library/python:3.12-slim"})
    server.on(r"docker image ls", lambda line: Reply(stdout="\n".join(sorted(engine.present)) + "\n"))
    ctx = ctx_with(server, baseImages=["python:3.12-slim"], registries=[MIRROR.to_api()])
    step = BaseImages()
    found = await step.observe(ctx)
    done = await step.change(ctx, found)
    assert done == "python:3.12-slim from mirror mirror.internal:5000."
    assert (await step.verify(ctx)).ok


async def test_a_base_image_no_source_has_fails_the_step_naming_it_and_is_retried():
    server = FakeServer()
    Engine(server)
    server.on(r"docker image ls", stdout="")
    ctx = ctx_with(server, baseImages=["python:3.9-slim"])
    step = BaseImages()
    with pytest.raises(StepError) as caught:
        await step.change(ctx, await step.observe(ctx))
    failure = classify(step.name, caught.value)
    assert failure.reason == "BaseImageUnavailable" and failure.retryable
    assert "python:3.9-slim" in failure.message and "plain pull" in failure.message
