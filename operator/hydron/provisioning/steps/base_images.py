"""Base images: the images named in spec.baseImages exist in the server's Docker,
fetched through the server's image sources in order (its registries, a plain pull,
the operator's own copy), as builds fetch theirs. Each image is fetched at most once:
a run cut short resumes with the ones missing."""

from __future__ import annotations

from hydron.build.delivery import BaseImageUnavailable, ImageSources, ensure_base_images
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import docker as docker_cmd


def _canonical(image: str) -> str:
    """`name` means `name:latest`, as Docker lists it."""
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last or "@" in last else f"{image}:latest"


class BaseImages(Step):
    name = "base-images"

    def skip_reason(self, ctx: StepContext) -> str | None:
        return None if ctx.spec.base_images else "No base images requested (spec.baseImages is empty)."

    async def observe(self, ctx: StepContext) -> Observation:
        present = docker_cmd.parse_image_tags(await ctx.run.output(docker_cmd.image_tags()))
        missing = [i for i in ctx.spec.base_images if _canonical(i) not in present]
        if missing:
            return Observation(False, f"missing images: {', '.join(missing)}", missing)
        return Observation(True, f"All {len(ctx.spec.base_images)} base images present.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        sources = ImageSources.for_server(ctx.spec, ctx.settings.image_source)
        try:
            report = await ensure_base_images(ctx.run, found.data, sources)
        except BaseImageUnavailable as error:
            raise StepError(error.message, retryable=True, reason=error.reason) from None
        return "; ".join(f"{i.reference} from {i.source}" for i in report.images) + "."
